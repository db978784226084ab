// drover: the command-line interface to a Drover cluster. All logic lives in
// the drover_cli library so tests can link it.
#include "cmd/drover/verbs.h"

int main(int argc, char** argv) { return drover::cli::RunCli(argc, argv); }
