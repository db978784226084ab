#!/bin/bash
# an ordinary comment

#SBATCH --job-name="render frames"
#SBATCH --array=0-99%8
#SBATCH -c 2 --mem=4G   # cores and memory
#SBATCH --time=1-02:00:00
#SBATCH -o /tmp/out_%A_%a.txt -e '/tmp/err %j.txt'
#DROVER --gang
#DROVER --placement spread
echo "$SLURM_ARRAY_TASK_ID"
#SBATCH --mem=1G
