// The verbs of the drover CLI. Each takes the words after the verb and
// returns the process exit code (see exit_code.h); each prints its own help.
#pragma once

#include <string>
#include <vector>

namespace drover::cli {

using Args = std::vector<std::string>;

int RunUp(const Args& args);         // up.cc: start a local cluster
int RunDown(const Args& args);       // down.cc: stop what `up` started
int RunSubmit(const Args& args);     // submit.cc
int RunSbatch(const Args& args);     // submit.cc: drover called as sbatch
int RunSqueue(const Args& args);     // slurm_commands.cc: drover called as squeue
int RunScancel(const Args& args);    // slurm_commands.cc
int RunSinfo(const Args& args);      // slurm_commands.cc
int RunScontrol(const Args& args);   // slurm_scontrol.cc
int RunSrun(const Args& args);       // srun.cc: a job step (or an allocation and one)
int RunSalloc(const Args& args);     // srun.cc: an interactive allocation
int RunSacct(const Args& args);      // slurm_sacct.cc: drover called as sacct
int RunHistory(const Args& args);    // slurm_sacct.cc: the accounting history
int RunApply(const Args& args);      // apply.cc
int RunQueue(const Args& args);      // queue.cc (alias ls)
int RunShow(const Args& args);       // show.cc
int RunCancel(const Args& args);     // job_actions.cc
int RunHold(const Args& args);       // job_actions.cc
int RunRelease(const Args& args);    // job_actions.cc
int RunNodes(const Args& args);      // nodes.cc
int RunLogs(const Args& args);       // logs.cc
int RunToken(const Args& args);      // token.cc: issue, list, revoke bearer tokens
int RunGet(const Args& args);        // get.cc: list objects of a kind
int RunDescribe(const Args& args);   // get.cc
int RunScale(const Args& args);      // rollout.cc
int RunRollout(const Args& args);    // rollout.cc
int RunDelete(const Args& args);     // rollout.cc
int RunEndpoints(const Args& args);  // endpoints.cc
int RunLabel(const Args& args);      // node_admin.cc
int RunCordon(const Args& args);     // node_admin.cc
int RunUncordon(const Args& args);   // node_admin.cc
int RunDrain(const Args& args);      // node_admin.cc

// Dispatches argv (argv[1] is the verb) and returns the exit code.
int RunCli(int argc, char** argv);

}  // namespace drover::cli
