#!/usr/bin/env python3
#SBATCH --dependency=afterok:12:13,afterany:14
#SBATCH --begin=now+1hour
#SBATCH --hold --exclusive --nodes=2 --ntasks-per-node=4
#SBATCH --partition=batch --account=physics --priority=10
#SBATCH --export=NONE
#SBATCH --env A=1 --env HOME --chdir=work --mem-bind=local
print("hi")
