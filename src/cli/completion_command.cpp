// `retort completion bash|zsh|fish`: shell completion generated from the command tree itself (so
// it cannot fall behind a new command or option), completing revision ids and branch labels
// from the script directory through the hidden `retort __complete-revisions`.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/context.hpp"
#include "cli/migrate_cli.hpp"
#include "migrate/command/project.hpp"

namespace retort::cli {
namespace {

struct CommandInfo {
  std::string path;  // "upgrade", "events ingest"
  std::string description;
  std::vector<std::string> options;  // "--sql", "-v", ...
  bool takes_revisions = false;      // a positional argument named rev/revision(s)
  std::vector<CommandInfo> children;
};

std::vector<std::string> option_names(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* opt : app.get_options()) {
    for (const std::string& s : opt->get_snames()) names.push_back("-" + s);
    for (const std::string& l : opt->get_lnames()) names.push_back("--" + l);
  }
  return names;
}

bool takes_revisions(const CLI::App& app) {
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional() && opt->get_name().find("rev") != std::string::npos) return true;
  }
  return false;
}

CommandInfo describe(const CLI::App& app, const std::string& path) {
  CommandInfo info{path, app.get_description(), option_names(app), takes_revisions(app), {}};
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App* s) {
         return !s->get_group().empty() && s->get_name().rfind("__", 0) != 0;
       })) {
    info.children.push_back(
        describe(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name()));
  }
  return info;
}

std::string last_word(const std::string& path) {
  return path.substr(path.rfind(' ') + 1);
}

std::string joined(const std::vector<std::string>& words) {
  return fmt::format("{}", fmt::join(words, " "));
}

void collect(const CommandInfo& c, std::vector<const CommandInfo*>& out) {
  out.push_back(&c);
  for (const CommandInfo& child : c.children) collect(child, out);
}

// Bash (zsh runs it through bashcompinit): the words before the cursor that name commands
// select the options and what the positional arguments complete to.
std::string bash_script(const CommandInfo& root) {
  std::vector<const CommandInfo*> all;
  collect(root, all);
  std::string cases;
  for (const CommandInfo* c : all) {
    std::vector<std::string> children;
    for (const CommandInfo& child : c->children) children.push_back(last_word(child.path));
    cases += fmt::format("    '{}') opts='{}'; subs='{}'; revs={} ;;\n", c->path,
                         joined(c->options), joined(children), c->takes_revisions ? 1 : 0);
  }
  return fmt::format(
      R"SH(# retort completion for bash: eval "$(retort completion bash)" (e.g. in ~/.bashrc)
_retort() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} path='' word i opts subs revs candidate
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${{COMP_WORDS[i]}}
    [[ $word == -* ]] && continue
    candidate=${{path:+$path }}$word
    case "$candidate" in
{}      *) continue ;;
    esac
    path=$candidate
  done
  case "$path" in
{}  esac
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$opts {}" -- "$cur"))
  elif [[ -n $subs ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  elif [[ $revs == 1 ]]; then
    COMPREPLY=($(compgen -W "head heads base $("${{COMP_WORDS[0]}}" __complete-revisions 2>/dev/null)" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}}
complete -F _retort retort
)SH",
      [&] {
        std::string known;
        for (const CommandInfo* c : all) {
          if (!c->path.empty()) known += fmt::format("      '{}') ;;\n", c->path);
        }
        return known;
      }(),
      cases, joined(root.options));
}

std::string fish_script(const CommandInfo& root) {
  std::string out = "# retort completion for fish: retort completion fish | source\n";
  out += "complete -c retort -f\n";
  for (const std::string& option : root.options) {
    if (option.rfind("--", 0) == 0)
      out += fmt::format("complete -c retort -l {}\n", option.substr(2));
  }
  for (const CommandInfo& c : root.children) {
    std::string description = c.description.substr(0, 60);
    std::erase(description, '\'');
    out += fmt::format("complete -c retort -n '__fish_use_subcommand' -a {} -d '{}'\n", c.path,
                       description);
    const std::string when = fmt::format("'__fish_seen_subcommand_from {}'", c.path);
    for (const std::string& option : c.options) {
      if (option.rfind("--", 0) == 0) {
        out += fmt::format("complete -c retort -n {} -l {}\n", when, option.substr(2));
      }
    }
    for (const CommandInfo& child : c.children) {
      out += fmt::format("complete -c retort -n {} -a {}\n", when, last_word(child.path));
    }
    if (c.takes_revisions) {
      out += fmt::format(
          "complete -c retort -n {} -a 'head heads base (retort __complete-revisions "
          "2>/dev/null)'\n",
          when);
    }
  }
  return out;
}

}  // namespace

void add_completion_command(CLI::App& app, Context& context, Command& run) {
  CLI::App* cmd = app.add_subcommand(
      "completion", "Print a shell completion script: bash, zsh or fish (see docs/cli-output.md)");
  auto shell = std::make_shared<std::string>();
  cmd->add_option("shell", *shell, "bash, zsh or fish")
      ->required()
      ->check(CLI::IsMember({"bash", "zsh", "fish"}));
  cmd->callback([&app, &run, shell] {
    run = [&app, shell] {
      const CommandInfo root = describe(app, "");
      if (*shell == "fish") {
        std::cout << fish_script(root);
      } else if (*shell == "zsh") {
        std::cout << "# retort completion for zsh: eval \"$(retort completion zsh)\"\n"
                     "autoload -U +X bashcompinit && bashcompinit\n"
                  << bash_script(root);
      } else {
        std::cout << bash_script(root);
      }
      return 0;
    };
  });

  // Hidden: what the scripts complete a revision argument with. Quiet on any error (no
  // environment here, a bad file): completion must never print an error into the prompt.
  CLI::App* revisions = app.add_subcommand("__complete-revisions", "");
  revisions->group("");
  revisions->callback([&context, &run] {
    run = [&context] {
      try {
        const migrate::RevisionMap map =
            migrate::load_map(migrate_settings(context), context.cpp_revisions());
        std::vector<std::string> words;
        for (const migrate::Revision& r : map.revisions()) {
          words.push_back(r.id);
          for (const std::string& label : r.branch_labels) {
            words.push_back(label + "@head");
            words.push_back(label);
          }
        }
        std::sort(words.begin(), words.end());
        words.erase(std::unique(words.begin(), words.end()), words.end());
        for (const std::string& w : words) std::cout << w << '\n';
      } catch (const std::exception&) {
      }
      return 0;
    };
  });
}

}  // namespace retort::cli
