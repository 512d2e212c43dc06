// The stock `retort` binary: the command line with retort's built-in models.
#include "retort/cli.hpp"

int main(int argc, char** argv) {
  return retort::cli::main(argc, argv, retort::cli::builtin_models());
}
