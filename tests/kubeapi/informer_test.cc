// Informers against a scripted API server: list, watch, resume after a
// dropped connection, bookmarks, relist on 410, indexes, resync.
#include "mck8s/kubeapi/informer.h"

#include <catch2/catch.hpp>

#include <deque>

#include <rapidjson/document.h>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "mck8s/runtime/metrics.h"
#include "test_server.h"

namespace mck8s::kubeapi {
namespace {

using testing::Responder;
using testing::TestRequest;
using testing::TestServer;

const GroupVersionResource kPods{"", "v1", "pods"};

Object Pod(const std::string& name, int rv, const std::string& phase = "Running") {
  Object pod("v1", "Pod");
  pod.SetNamespace(name == "x" ? "other" : "default");
  pod.SetName(name);
  pod.SetResourceVersion(absl::StrCat(rv));
  (void)pod.SetString("/status/phase", phase);
  return pod;
}

std::string ListBody(const std::vector<Object>& pods, int rv) {
  Object list("v1", "PodList");
  (void)list.SetString("/metadata/resourceVersion", absl::StrCat(rv));
  rapidjson::Document items;
  items.SetArray();
  for (const Object& pod : pods) {
    items.PushBack(rapidjson::Value(pod.json(), items.GetAllocator()), items.GetAllocator());
  }
  (void)list.SetValue("/items", items);
  return list.ToJson();
}

std::string Event(const std::string& type, const Object& object) {
  Object event;
  (void)event.SetString("/type", type);
  (void)event.SetObject("/object", object);
  return event.ToJson() + "\n";
}

using WatchScript = std::function<void(const TestRequest&, Responder&)>;

// An API server for one resource: lists answer from a queue of list bodies
// (the last one repeats); each watch runs the next script, and once they
// are used up a watch blocks until the test ends.
class FakeApi {
 public:
  FakeApi()
      : server_([this](const TestRequest& request, Responder& respond) {
          Handle(request, respond);
        }) {}
  ~FakeApi() {
    release_.Notify();
    server_.Stop();
  }

  void AddList(std::string body) {
    absl::MutexLock lock(&mu_);
    lists_.push_back(std::move(body));
  }
  void AddWatch(WatchScript script) {
    absl::MutexLock lock(&mu_);
    watches_.push_back(std::move(script));
  }
  // resourceVersion of each watch request, in order.
  std::vector<std::string> WatchVersions() const {
    std::vector<std::string> out;
    for (const TestRequest& r : server_.Requests()) {
      if (r.Query("watch") == "true") out.push_back(r.Query("resourceVersion"));
    }
    return out;
  }
  const TestServer& server() const { return server_; }

 private:
  void Handle(const TestRequest& request, Responder& respond) {
    if (request.Query("watch") != "true") {
      std::string body;
      {
        absl::MutexLock lock(&mu_);
        body = lists_.front();
        if (lists_.size() > 1) lists_.pop_front();
      }
      respond.Send(200, body);
      return;
    }
    WatchScript script;
    {
      absl::MutexLock lock(&mu_);
      if (!watches_.empty()) {
        script = std::move(watches_.front());
        watches_.pop_front();
      }
    }
    if (script) {
      script(request, respond);
      return;
    }
    respond.StartChunked(200);
    release_.WaitForNotification();
    respond.Close();
  }

  absl::Mutex mu_;
  std::deque<std::string> lists_ ABSL_GUARDED_BY(mu_);
  std::deque<WatchScript> watches_ ABSL_GUARDED_BY(mu_);
  absl::Notification release_;
  TestServer server_;
};

// Records handler calls as "add a", "update a", "delete b".
class Recorder {
 public:
  EventHandler Handler() {
    EventHandler h;
    h.on_add = [this](const ObjectPtr& o) { Record("add " + std::string(o->name())); };
    h.on_update = [this](const ObjectPtr& old_object, const ObjectPtr& o) {
      Record((old_object == o ? "resync " : "update ") + std::string(o->name()) + "@" +
             std::string(o->resource_version()));
    };
    h.on_delete = [this](const ObjectPtr& o) { Record("delete " + std::string(o->name())); };
    return h;
  }
  // Waits (up to 30 s) for `n` calls; returns them all.
  std::vector<std::string> WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&] { return calls_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
    return calls_;
  }

 private:
  void Record(std::string call) {
    absl::MutexLock lock(&mu_);
    calls_.push_back(std::move(call));
  }
  absl::Mutex mu_;
  std::vector<std::string> calls_ ABSL_GUARDED_BY(mu_);
};

struct Harness {
  runtime::Registry registry;
  std::unique_ptr<Client> client;
  explicit Harness(const FakeApi& api) {
    RestConfig config;
    config.server = api.server().url();
    ClientOptions options;
    options.qps = 0;
    options.metrics = &registry;
    client = *Client::Create(config, options);
  }
};

InformerOptions FastOptions() {
  InformerOptions options;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(10);
  options.watch_timeout_seconds = 300;
  return options;
}

TEST_CASE("informer: a watch resumes across a dropped connection, nothing lost or repeated",
          "[kubeapi][informer]") {
  FakeApi api;
  api.AddList(ListBody({Pod("a", 10), Pod("b", 11)}, 11));
  api.AddWatch([](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    respond.WriteChunk(Event("ADDED", Pod("c", 12)));
    respond.WriteChunk(Event("MODIFIED", Pod("a", 13, "Succeeded")));
    const std::string cut = Event("DELETED", Pod("c", 99));
    respond.WriteChunk(cut.substr(0, cut.size() / 2));  // never completed
    respond.Close();
  });
  api.AddWatch([](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    respond.WriteChunk(Event("DELETED", Pod("b", 14)));
    Object bookmark("v1", "Pod");
    bookmark.SetResourceVersion("20");
    respond.WriteChunk(Event("BOOKMARK", bookmark));
    respond.EndChunked();  // the server ends the watch (timeoutSeconds)
  });
  api.AddWatch([](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    respond.WriteChunk(Event("ADDED", Pod("d", 21)));
    respond.EndChunked();
  });
  Harness h(api);
  Informer informer(*h.client, kPods, FastOptions());
  Recorder recorder;
  informer.AddEventHandler(recorder.Handler());
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  const std::vector<std::string> calls = recorder.WaitFor(6);
  CHECK(calls == std::vector<std::string>{"add a", "add b", "add c", "update a@13", "delete b",
                                          "add d"});
  const std::vector<std::string> versions = api.WatchVersions();
  REQUIRE(versions.size() >= 3);
  CHECK(versions[0] == "11");
  CHECK(versions[1] == "13");  // after the drop: from the last complete event
  CHECK(versions[2] == "20");  // after the bookmark
  informer.Stop();
  CHECK(informer.lists() == 1);
  CHECK(informer.store().size() == 3);
  CHECK(informer.store().Get("default", "a")->FindString("/status/phase") ==
        std::optional<std::string_view>("Succeeded"));
  CHECK(informer.LastSyncResourceVersion() == "21");
}

TEST_CASE("informer: 410 Gone relists, and handlers see the difference", "[kubeapi][informer]") {
  FakeApi api;
  api.AddList(ListBody({Pod("a", 5), Pod("b", 5)}, 5));
  api.AddList(ListBody({Pod("a", 7), Pod("c", 8)}, 8));
  SECTION("as an ERROR event") {
    api.AddWatch([](const TestRequest&, Responder& respond) {
      respond.StartChunked(200);
      Object status("v1", "Status");
      (void)status.SetString("/reason", "Expired");
      (void)status.SetString("/message", "too old resource version: 5 (6)");
      (void)status.SetInt("/code", 410);
      respond.WriteChunk(Event("ERROR", status));
      respond.EndChunked();
    });
  }
  SECTION("as the watch request's answer") {
    api.AddWatch([](const TestRequest&, Responder& respond) {
      respond.Send(410, R"({"kind":"Status","reason":"Gone","code":410})");
    });
  }
  Harness h(api);
  Informer informer(*h.client, kPods, FastOptions());
  Recorder recorder;
  informer.AddEventHandler(recorder.Handler());
  informer.Start();
  const std::vector<std::string> calls = recorder.WaitFor(5);
  CHECK(calls == std::vector<std::string>{"add a", "add b", "update a@7", "add c", "delete b"});
  while (api.WatchVersions().size() < 2) std::this_thread::yield();  // the watch after the relist
  informer.Stop();
  CHECK(informer.lists() == 2);
  CHECK(informer.store().ListKeys().size() == 2);
  CHECK(api.WatchVersions()[1] == "8");
}

// A pod as a server sends it: much the cache does not need.
Object FullPod(const std::string& name, int rv, const std::string& phase = "Running") {
  Object pod = Pod(name, rv, phase);
  pod.SetAnnotation("kubectl.kubernetes.io/last-applied-configuration", std::string(2048, 'x'));
  pod.SetLabel("app", "web");
  (void)pod.SetString("/spec/nodeName", "node-1");
  (void)pod.SetString("/spec/containers/-/image", "nginx");
  return pod;
}

TEST_CASE("informer: KeepFields keeps the identity and the fields named", "[kubeapi][informer]") {
  Object pod = FullPod("a", 7);
  pod.SetAnnotation("x", "y");
  (void)pod.SetString("/metadata/uid", "u-1");
  const TransformFunc keep = KeepFields({"/status/phase", "/metadata/labels", "/spec/absent"});
  const Object kept = keep(pod);
  Object expected("v1", "Pod");
  expected.SetName("a");
  expected.SetNamespace("default");
  (void)expected.SetString("/metadata/uid", "u-1");
  expected.SetResourceVersion("7");
  expected.SetLabel("app", "web");
  (void)expected.SetString("/status/phase", "Running");
  CHECK(kept == expected);
  CHECK(kept.PoolBytes() < pod.PoolBytes() / 4);
  CHECK(kept.PoolBytes() <= Object(kept).PoolBytes());  // exactly sized
}

TEST_CASE("informer: the transform shapes what lists and watches cache and hand out",
          "[kubeapi][informer]") {
  FakeApi api;
  api.AddList(ListBody({FullPod("a", 10), FullPod("b", 11)}, 11));
  api.AddList(ListBody({FullPod("a", 20, "Succeeded"), FullPod("d", 21)}, 21));
  api.AddWatch([](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    respond.WriteChunk(Event("ADDED", FullPod("c", 12)));
    respond.WriteChunk(Event("MODIFIED", FullPod("a", 13, "Pending")));
    respond.WriteChunk(Event("DELETED", FullPod("b", 14)));
    respond.EndChunked();
  });
  api.AddWatch([](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    Object bookmark("v1", "Pod");
    bookmark.SetResourceVersion("15");
    respond.WriteChunk(Event("BOOKMARK", bookmark));
    Object gone("v1", "Status");
    (void)gone.SetString("/reason", "Expired");
    (void)gone.SetInt("/code", 410);
    respond.WriteChunk(Event("ERROR", gone));
    respond.EndChunked();
  });
  Harness h(api);
  std::atomic<int> transformed{0};
  const TransformFunc keep = KeepFields({"/status/phase"});
  InformerOptions options = FastOptions();
  options.transform = [&](Object object) {
    ++transformed;
    Object kept = keep(std::move(object));
    // Dropping the resourceVersion shows the resume point is taken before.
    kept.Remove("/metadata/resourceVersion");
    kept.SetAnnotation("transformed", "yes");
    return kept;
  };
  Informer informer(*h.client, kPods, options);

  absl::Mutex mu;
  std::vector<std::string> calls;
  std::vector<ObjectPtr> seen;
  EventHandler handler;
  auto record = [&](const std::string& what, const ObjectPtr& object) {
    absl::MutexLock lock(&mu);
    calls.push_back(what + " " + std::string(object->name()) + " " +
                    std::string(object->FindString("/status/phase").value_or("")));
    seen.push_back(object);
  };
  handler.on_add = [&](const ObjectPtr& o) { record("add", o); };
  handler.on_update = [&](const ObjectPtr& old_object, const ObjectPtr& o) {
    record("update", o);
    record("was", old_object);
  };
  handler.on_delete = [&](const ObjectPtr& o) { record("delete", o); };
  informer.AddEventHandler(handler);
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  {
    absl::MutexLock lock(&mu);
    auto done = [&] { return calls.size() >= 10; };
    mu.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(30));
  }
  while (api.WatchVersions().size() < 3) std::this_thread::yield();  // after the relist
  informer.Stop();

  absl::MutexLock lock(&mu);
  // The list, the first watch (ADDED, MODIFIED, DELETED), then the relist
  // after the second watch's ERROR: a updated, d added, c gone.
  CHECK(calls == std::vector<std::string>{"add a Running", "add b Running", "add c Running",
                                          "update a Pending", "was a Running", "delete b Running",
                                          "update a Succeeded", "was a Pending", "add d Running",
                                          "delete c Running"});
  for (const ObjectPtr& object : seen) {
    CHECK(object->annotation("transformed") == std::optional<std::string_view>("yes"));
    CHECK(object->spec() == nullptr);
    CHECK_FALSE(object->label("app").has_value());
    CHECK_FALSE(object->annotation("kubectl.kubernetes.io/last-applied-configuration"));
  }
  // 2 listed first, 3 watched, 2 relisted; bookmarks and errors are not
  // objects.
  CHECK(transformed.load() == 7);
  // The second watch resumes from the last event although the transform
  // dropped its resourceVersion; the third follows the relist.
  CHECK(api.WatchVersions() == std::vector<std::string>{"11", "14", "21"});
  CHECK(informer.store().size() == 2);
  ObjectPtr a = informer.store().Get("default", "a");
  REQUIRE(a != nullptr);
  CHECK(a->FindString("/status/phase") == std::optional<std::string_view>("Succeeded"));
  CHECK(a->annotation("transformed") == std::optional<std::string_view>("yes"));
  CHECK(a->spec() == nullptr);
}

TEST_CASE("informer: failed lists are retried with backoff", "[kubeapi][informer]") {
  std::atomic<int> lists{0};
  TestServer server([&](const TestRequest& request, Responder& respond) {
    if (request.Query("watch") == "true") {
      respond.Send(200, "");
      return;
    }
    if (lists.fetch_add(1) < 2) {
      respond.Send(403, R"({"kind":"Status","reason":"Forbidden","code":403})");
    } else {
      respond.Send(200, ListBody({Pod("a", 1)}, 1));
    }
  });
  RestConfig config;
  config.server = server.url();
  ClientOptions client_options;
  runtime::Registry registry;
  client_options.metrics = &registry;
  std::unique_ptr<Client> client = *Client::Create(config, client_options);
  Informer informer(*client, kPods, FastOptions());
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  CHECK(lists.load() >= 3);
  CHECK(informer.store().Get("default", "a") != nullptr);
}

TEST_CASE("informer: indexes, late handlers and resync", "[kubeapi][informer]") {
  FakeApi api;
  api.AddList(ListBody({Pod("a", 1), Pod("b", 2, "Pending"), Pod("x", 3)}, 3));
  Harness h(api);
  FakeClock clock;
  InformerOptions options = FastOptions();
  options.clock = &clock;
  options.resync_period = absl::Minutes(10);
  Informer informer(*h.client, kPods, options);
  REQUIRE(informer.AddIndex("phase", [](const Object& pod) {
    std::vector<std::string> values;
    if (auto phase = pod.FindString("/status/phase")) values.emplace_back(*phase);
    return values;
  }).ok());
  informer.Start();
  CHECK(informer.AddIndex("late", [](const Object&) { return std::vector<std::string>{}; })
            .code() != absl::StatusCode::kOk);
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  CHECK(informer.store().ByIndex("phase", "Running").size() == 2);
  CHECK(informer.store().ByIndex("phase", "Pending").size() == 1);
  CHECK(informer.store().ListNamespace("other").size() == 1);

  Recorder late;
  informer.AddEventHandler(late.Handler());
  std::vector<std::string> calls = late.WaitFor(3);
  std::sort(calls.begin(), calls.end());
  CHECK(calls == std::vector<std::string>{"add a", "add b", "add x"});

  while (clock.Waiters() == 0) std::this_thread::yield();  // the resync timer
  clock.Advance(absl::Minutes(10));
  calls = late.WaitFor(6);
  REQUIRE(calls.size() == 6);
  std::vector<std::string> resyncs(calls.begin() + 3, calls.end());
  std::sort(resyncs.begin(), resyncs.end());
  CHECK(resyncs == std::vector<std::string>{"resync a@1", "resync b@2", "resync x@3"});
  informer.Stop();
}

TEST_CASE("informer: Stop ends a watch in progress promptly", "[kubeapi][informer]") {
  FakeApi api;
  api.AddList(ListBody({}, 1));
  Harness h(api);
  Informer informer(*h.client, kPods, FastOptions());
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  while (api.WatchVersions().empty()) std::this_thread::yield();
  const absl::Time start = absl::Now();
  informer.Stop();
  CHECK(absl::Now() - start < absl::Seconds(5));
  CHECK(informer.watches() == 1);
}

TEST_CASE("informer: Stop cuts the client's retry backoff of a failing list",
          "[kubeapi][informer]") {
  // 503 without Retry-After: the client retries GETs with a backoff that
  // grows to 30 s, about 100 s in all; Stop must not wait that out.
  std::atomic<int> lists{0};
  TestServer server([&](const TestRequest&, Responder& respond) {
    ++lists;
    respond.Send(503, R"({"kind":"Status","reason":"ServiceUnavailable","code":503})");
  });
  RestConfig config;
  config.server = server.url();
  ClientOptions client_options;
  runtime::Registry registry;
  client_options.metrics = &registry;
  client_options.qps = 0;
  std::unique_ptr<Client> client = *Client::Create(config, client_options);
  Informer informer(*client, kPods, FastOptions());
  informer.Start();
  while (lists.load() < 2) std::this_thread::yield();  // in the retry loop now
  const absl::Time start = absl::Now();
  informer.Stop();
  CHECK(absl::Now() - start < absl::Seconds(5));
  CHECK_FALSE(informer.HasSynced());
}

}  // namespace
}  // namespace mck8s::kubeapi
