#include "mck8s/kubeapi/store.h"

#include <catch2/catch.hpp>

#include <algorithm>

namespace mck8s::kubeapi {
namespace {

ObjectPtr Pod(const std::string& ns, const std::string& name, const std::string& node) {
  auto pod = std::make_shared<Object>("v1", "Pod");
  pod->SetNamespace(ns);
  pod->SetName(name);
  if (!node.empty()) (void)pod->SetString("/spec/nodeName", node);
  return pod;
}

std::vector<std::string> Names(std::vector<ObjectPtr> objects) {
  std::vector<std::string> names;
  for (const ObjectPtr& o : objects) names.emplace_back(o->name());
  std::sort(names.begin(), names.end());
  return names;
}

IndexFunc ByNode() {
  return [](const Object& pod) {
    std::vector<std::string> values;
    if (auto node = pod.FindString("/spec/nodeName")) values.emplace_back(*node);
    return values;
  };
}

TEST_CASE("store: keys, namespace index and custom indexes", "[kubeapi][store]") {
  Store store;
  REQUIRE(store.AddIndex("node", ByNode()).ok());
  CHECK(store.AddIndex("node", ByNode()).code() == absl::StatusCode::kAlreadyExists);
  store.Upsert(Pod("a", "p1", "n1"));
  store.Upsert(Pod("a", "p2", "n2"));
  store.Upsert(Pod("b", "p3", "n1"));
  auto cluster_scoped = std::make_shared<Object>("v1", "Namespace");
  cluster_scoped->SetName("a");
  store.Upsert(cluster_scoped);
  CHECK(store.AddIndex("late", ByNode()).code() == absl::StatusCode::kFailedPrecondition);

  CHECK(store.size() == 4);
  CHECK(store.Get("a/p1")->name() == "p1");
  CHECK(store.Get("b", "p3") != nullptr);
  CHECK(store.Get("", "a")->kind() == "Namespace");
  CHECK(store.Get("a/none") == nullptr);
  CHECK(Names(store.ListNamespace("a")) == std::vector<std::string>{"p1", "p2"});
  CHECK(Names(store.ByIndex("node", "n1")) == std::vector<std::string>{"p1", "p3"});
  CHECK(store.ByIndex("nothing", "n1").empty());

  // A move to another node re-indexes.
  ObjectPtr old = store.Upsert(Pod("a", "p1", "n2"));
  REQUIRE(old != nullptr);
  CHECK(old->FindString("/spec/nodeName") == std::optional<std::string_view>("n1"));
  CHECK(Names(store.ByIndex("node", "n1")) == std::vector<std::string>{"p3"});
  CHECK(Names(store.ByIndex("node", "n2")) == std::vector<std::string>{"p1", "p2"});

  CHECK(store.Delete("a/p2") != nullptr);
  CHECK(store.Delete("a/p2") == nullptr);
  CHECK(Names(store.ByIndex("node", "n2")) == std::vector<std::string>{"p1"});

  std::vector<ObjectPtr> previous = store.Replace({Pod("c", "q", "n9")});
  CHECK(previous.size() == 3);
  CHECK(store.size() == 1);
  CHECK(store.ByIndex("node", "n1").empty());
  CHECK(Names(store.ByIndex("node", "n9")) == std::vector<std::string>{"q"});
  CHECK(store.ListKeys() == std::vector<std::string>{"c/q"});
}

TEST_CASE("store: the namespace index follows upserts, deletes and replaces", "[kubeapi][store]") {
  Store store;
  store.Upsert(Pod("a", "p1", ""));
  store.Upsert(Pod("a", "p2", ""));
  store.Upsert(Pod("b", "p1", ""));
  auto cluster_scoped = std::make_shared<Object>("v1", "Node");
  cluster_scoped->SetName("n1");
  store.Upsert(cluster_scoped);
  CHECK(Names(store.ByIndex(kNamespaceIndex, "a")) == std::vector<std::string>{"p1", "p2"});
  CHECK(Names(store.ListNamespace("b")) == std::vector<std::string>{"p1"});
  CHECK(Names(store.ListNamespace("")) == std::vector<std::string>{"n1"});

  // Replacing an object keeps one entry for it.
  store.Upsert(Pod("a", "p1", "n2"));
  CHECK(Names(store.ListNamespace("a")) == std::vector<std::string>{"p1", "p2"});
  CHECK(store.ListNamespace("a").size() == 2);

  store.Delete("a/p1");
  store.Delete("b/p1");
  CHECK(Names(store.ListNamespace("a")) == std::vector<std::string>{"p2"});
  CHECK(store.ListNamespace("b").empty());

  store.Replace({Pod("c", "q", ""), Pod("a", "r", "")});
  CHECK(Names(store.ListNamespace("a")) == std::vector<std::string>{"r"});
  CHECK(Names(store.ListNamespace("c")) == std::vector<std::string>{"q"});
  CHECK(store.ListNamespace("").empty());
  CHECK(store.AddIndex(kNamespaceIndex, ByNode()).code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("store: snapshots survive later changes", "[kubeapi][store]") {
  Store store;
  store.Upsert(Pod("a", "p", "n1"));
  ObjectPtr before = store.Get("a/p");
  store.Upsert(Pod("a", "p", "n2"));
  store.Delete("a/p");
  CHECK(before->FindString("/spec/nodeName") == std::optional<std::string_view>("n1"));
}

}  // namespace
}  // namespace mck8s::kubeapi
