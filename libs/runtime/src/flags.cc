#include "mck8s/runtime/flags.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mck8s/base/strings.h"

namespace mck8s::runtime {
namespace {

absl::Status InvalidValue(std::string_view value, std::string_view flag,
                          std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid value \"", ToAbsl(value), "\" for flag --", ToAbsl(flag), ": ",
      ToAbsl(why)));
}

absl::StatusOr<bool> ParseBool(std::string_view value) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(value));
  if (lower == "true" || lower == "1" || lower == "t") return true;
  if (lower == "false" || lower == "0" || lower == "f") return false;
  return absl::InvalidArgumentError("expected true or false");
}

}  // namespace

FlagSet::FlagSet(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

void FlagSet::Add(Flag flag) {
  // A second registration of one name is a programming error: the usage
  // text and the parser would disagree about which one wins.
  if (Find(flag.name) != nullptr) {
    std::fprintf(stderr, "flag --%s registered twice\n", flag.name.c_str());
    std::abort();
  }
  flags_.push_back(std::move(flag));
}

const FlagSet::Flag* FlagSet::Find(std::string_view name) const {
  for (const Flag& flag : flags_) {
    if (flag.name == name) return &flag;
  }
  return nullptr;
}

void FlagSet::AddString(std::string name, std::string* target,
                        std::string help) {
  Add({.name = name,
       .help = std::move(help),
       .default_value = *target,
       .type_name = "string",
       .set = [target](std::string_view v) {
         *target = std::string(v);
         return absl::OkStatus();
       }});
}

void FlagSet::AddBool(std::string name, bool* target, std::string help) {
  Add({.name = name,
       .help = std::move(help),
       .default_value = *target ? "true" : "false",
       .type_name = "",
       .is_bool = true,
       .set = [target, name](std::string_view v) -> absl::Status {
         absl::StatusOr<bool> parsed = ParseBool(v);
         if (!parsed.ok()) return InvalidValue(v, name, ToStd(parsed.status().message()));
         *target = *parsed;
         return absl::OkStatus();
       }});
}

void FlagSet::AddInt(std::string name, int64_t* target, std::string help) {
  Add({.name = name,
       .help = std::move(help),
       .default_value = absl::StrCat(*target),
       .type_name = "int",
       .set = [target, name](std::string_view v) -> absl::Status {
         if (!absl::SimpleAtoi(ToAbsl(v), target)) {
           return InvalidValue(v, name, "expected an integer");
         }
         return absl::OkStatus();
       }});
}

void FlagSet::AddDouble(std::string name, double* target, std::string help) {
  Add({.name = name,
       .help = std::move(help),
       .default_value = absl::StrCat(*target),
       .type_name = "float",
       .set = [target, name](std::string_view v) -> absl::Status {
         if (!absl::SimpleAtod(ToAbsl(v), target)) {
           return InvalidValue(v, name, "expected a number");
         }
         return absl::OkStatus();
       }});
}

void FlagSet::AddDuration(std::string name, absl::Duration* target,
                          std::string help) {
  Add({.name = name,
       .help = std::move(help),
       .default_value = absl::FormatDuration(*target),
       .type_name = "duration",
       .set = [target, name](std::string_view v) -> absl::Status {
         absl::Duration d;
         if (!absl::ParseDuration(ToAbsl(v), &d) || d < absl::ZeroDuration()) {
           return InvalidValue(v, name,
                               "expected a duration such as 300ms, 15s or 1m30s");
         }
         *target = d;
         return absl::OkStatus();
       }});
}

absl::Status FlagSet::Parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      for (++i; i < argc; ++i) positional_.emplace_back(argv[i]);
      break;
    }
    if (arg == "-h" || arg == "--help" || arg == "-help") {
      help_requested_ = true;
      continue;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      positional_.emplace_back(arg);
      continue;
    }
    // Accept -name as well as --name, as Go's flag package does.
    std::string_view body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string_view name = body;
    std::optional<std::string_view> value;
    if (size_t eq = body.find('='); eq != std::string_view::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
    }
    const Flag* flag = Find(name);
    if (flag == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", ToAbsl(name)));
    }
    if (!value.has_value()) {
      if (flag->is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("flag needs an argument: --", ToAbsl(name)));
      }
    }
    if (absl::Status s = flag->set(*value); !s.ok()) return s;
  }
  return absl::OkStatus();
}

std::string FlagSet::Usage() const {
  std::vector<const Flag*> sorted;
  sorted.reserve(flags_.size());
  for (const Flag& flag : flags_) sorted.push_back(&flag);
  std::sort(sorted.begin(), sorted.end(),
            [](const Flag* a, const Flag* b) { return a->name < b->name; });
  std::string out = absl::StrCat(description_, "\n\nUsage:\n  ", program_,
                                 " [flags]\n\nFlags:\n");
  for (const Flag* flag : sorted) {
    std::string head = absl::StrCat("      --", flag->name);
    if (!flag->type_name.empty()) absl::StrAppend(&head, " ", flag->type_name);
    absl::StrAppend(&out, head, "\n          ", flag->help);
    if (!flag->default_value.empty() && flag->default_value != "false") {
      absl::StrAppend(&out, " (default \"", flag->default_value, "\")");
    }
    absl::StrAppend(&out, "\n");
  }
  absl::StrAppend(&out, "  -h, --help\n          Show this help and exit.\n");
  return out;
}

}  // namespace mck8s::runtime
