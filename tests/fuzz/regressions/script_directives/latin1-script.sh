#!/bin/sh
#SBATCH -c 1
echo café
