// An MPI program for the end-to-end tests: every rank adds rank+1 into an
// allreduce and prints the sum, the world size, its node and the CPUs it
// may run on, so a test can tell one MPI world from singletons and check
// that each rank has cores of its own.
#define _GNU_SOURCE
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int mine = rank + 1, sum = 0;
  MPI_Allreduce(&mine, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  cpu_set_t set;
  sched_getaffinity(0, sizeof set, &set);
  char cpus[256] = "";
  int n = 0;
  for (int c = 0; c < CPU_SETSIZE && n < 200; ++c)
    if (CPU_ISSET(c, &set)) n += snprintf(cpus + n, sizeof cpus - n, "%s%d", n ? "," : "", c);
  const char* node = getenv("SLURMD_NODENAME");
  printf("rank=%d size=%d sum=%d node=%s cpus=%s\n", rank, size, sum, node ? node : "?", cpus);
  MPI_Finalize();
  return 0;
}
