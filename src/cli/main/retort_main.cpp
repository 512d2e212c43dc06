// The stock `retort` binary: the command line without models of its own (retort.toml's [models]
// declares them); retort's built-in events models are built only when a comparison needs them.
#include "retort/cli.hpp"

int main(int argc, char** argv) {
  return retort::cli::main(argc, argv, retort::cli::stock_tool());
}
