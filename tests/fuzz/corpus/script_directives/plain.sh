#SBATCH --begin=2026-12-24T18:00 --time=UNLIMITED
#SBATCH --completions 4 --parallelism 2 --backoff-limit 3
#SBATCH --begin 16:00:30
true
