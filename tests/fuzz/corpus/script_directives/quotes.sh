#!/bin/sh -e
#SBATCH --job-name=a\ b "--output=x y" '-e' z
#DROVER --wrap "echo hi"
