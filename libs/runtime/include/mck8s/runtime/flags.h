// -----------------------------------------------------------------------------
// File: mck8s/runtime/flags.h
// -----------------------------------------------------------------------------
//
// Command-line flags for mck8s services, in the convention Kubernetes
// controllers use (controller-runtime, kube-controller-manager): long flags
// only, `--name=value` or `--name value`, booleans as `--name` or
// `--name=true|false`. Unknown flags and malformed values are errors, never
// silently ignored. `--help` (or `-h`) asks for the usage text, which lists
// every flag with its default and its help.
//
// Usage:
//
//   FlagSet flags("mck8s-scheduler", "Places replicas on member clusters.");
//   std::string kubeconfig;
//   bool leader_elect = false;
//   flags.AddString("kubeconfig", &kubeconfig, "Path to a kubeconfig.");
//   flags.AddBool("leader-elect", &leader_elect, "Enable leader election.");
//   if (absl::Status s = flags.Parse(argc, argv); !s.ok()) { ... exit 2 }
//   if (flags.help_requested()) { std::cout << flags.Usage(); exit 0; }
//
// A FlagSet is not thread-safe; parse once at start-up.

#ifndef MCK8S_RUNTIME_FLAGS_H_
#define MCK8S_RUNTIME_FLAGS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace mck8s::runtime {

class FlagSet {
 public:
  FlagSet(std::string program, std::string description);

  // Each Add* registers `--name`; the target's current value is the default
  // shown in the usage text. Targets must outlive Parse().
  void AddString(std::string name, std::string* target, std::string help);
  void AddBool(std::string name, bool* target, std::string help);
  void AddInt(std::string name, int64_t* target, std::string help);
  void AddDouble(std::string name, double* target, std::string help);
  // Go-style durations: "300ms", "15s", "1m30s", "2h".
  void AddDuration(std::string name, absl::Duration* target, std::string help);

  // Parses argv[1..argc). Errors (InvalidArgument) name the offending flag:
  // `unknown flag: --foo`, `invalid value "x" for flag --port: ...`,
  // `flag needs an argument: --kubeconfig`. Arguments that are not flags are
  // collected in positional(); `--` ends flag parsing.
  absl::Status Parse(int argc, const char* const* argv);

  bool help_requested() const { return help_requested_; }
  const std::vector<std::string>& positional() const { return positional_; }

  // The usage text: program, description, then every flag sorted by name.
  std::string Usage() const;

 private:
  struct Flag {
    std::string name;
    std::string help;
    std::string default_value;
    std::string type_name;
    bool is_bool = false;
    std::function<absl::Status(std::string_view)> set;
  };
  void Add(Flag flag);
  const Flag* Find(std::string_view name) const;

  std::string program_;
  std::string description_;
  std::vector<Flag> flags_;
  std::vector<std::string> positional_;
  bool help_requested_ = false;
};

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_FLAGS_H_
