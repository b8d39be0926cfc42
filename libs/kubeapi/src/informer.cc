#include "mck8s/kubeapi/informer.h"

#include <iterator>
#include <random>
#include <utility>

#include "absl/base/attributes.h"
#include "absl/base/const_init.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"

namespace mck8s::kubeapi {
namespace {

// Out of line: a std::random_device is 5 KB, which inlined into Run()
// would push every frame below it (the whole watch) 5 KB deeper into each
// informer thread's stack.
ABSL_ATTRIBUTE_NOINLINE std::mt19937* NewGenerator() {
  return new std::mt19937(std::random_device{}());
}

int64_t RandomWatchTimeout() {
  // One generator for the process, not one per thread: a thread_local
  // std::mt19937 is 5 KB of static TLS in every thread of the process,
  // resident in each of a large fleet's thousands of informer threads.
  static absl::Mutex mu(absl::kConstInit);
  static std::mt19937* const random = NewGenerator();
  absl::MutexLock lock(&mu);
  return std::uniform_int_distribution<int64_t>(300, 599)(*random);
}

}  // namespace

TransformFunc KeepFields(std::vector<std::string> pointers) {
  static constexpr const char* kIdentity[] = {"/apiVersion",    "/kind",
                                              "/metadata/name", "/metadata/namespace",
                                              "/metadata/uid",  "/metadata/resourceVersion"};
  std::vector<std::string> keep(std::begin(kIdentity), std::end(kIdentity));
  keep.insert(keep.end(), std::make_move_iterator(pointers.begin()),
              std::make_move_iterator(pointers.end()));
  return [keep = std::move(keep)](Object object) {
    Object kept;
    for (const std::string& pointer : keep) {
      const rapidjson::Value* value = object.Get(pointer);
      // Cannot fail: the pointer resolved in an object of the same shape.
      if (value != nullptr) (void)kept.SetValue(pointer, *value);
    }
    kept.Compact();
    return kept;
  };
}

Informer::Informer(Client& client, GroupVersionResource gvr, InformerOptions options)
    : client_(client),
      gvr_(std::move(gvr)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : client.rest().clock()) {}

Informer::~Informer() { Stop(); }

absl::Status Informer::AddIndex(const std::string& name, IndexFunc func) {
  {
    absl::MutexLock lock(&mu_);
    if (started_) {
      return absl::FailedPreconditionError(
          absl::StrCat("index \"", name, "\" added after the informer started"));
    }
  }
  return store_.AddIndex(name, std::move(func));
}

void Informer::AddEventHandler(EventHandler handler) {
  absl::MutexLock lock(&dispatch_mu_);
  // Under the dispatch lock no event interleaves: the new handler sees the
  // cache as it is, then every later change.
  for (const ObjectPtr& object : store_.List()) {
    if (handler.on_add) handler.on_add(object);
  }
  handlers_.push_back(std::move(handler));
}

template <typename F>
void Informer::Dispatch(F&& call) {
  absl::MutexLock lock(&dispatch_mu_);
  for (const EventHandler& handler : handlers_) call(handler);
}

void Informer::Start() {
  absl::MutexLock lock(&mu_);
  if (started_ || stopping_) return;
  started_ = true;
  reflector_ = std::thread([this] { Run(); });
  if (options_.resync_period > absl::ZeroDuration()) {
    resync_ = std::thread([this] { ResyncLoop(); });
  }
}

void Informer::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  canceller_.Cancel();
  if (reflector_.joinable()) reflector_.join();
  if (resync_.joinable()) resync_.join();
}

bool Informer::HasSynced() const {
  absl::MutexLock lock(&mu_);
  return synced_;
}

bool Informer::WaitForSync(absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&synced_), timeout);
}

std::string Informer::LastSyncResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

int64_t Informer::lists() const {
  absl::MutexLock lock(&mu_);
  return lists_;
}

int64_t Informer::watches() const {
  absl::MutexLock lock(&mu_);
  return watches_;
}

bool Informer::Backoff(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  clock_.AwaitWithDeadline(mu_, absl::Condition(&stopping_), clock_.Now() + delay);
  return !stopping_;
}

bool Informer::ListAndReplace() {
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  list_options.field_selector = options_.field_selector;
  list_options.canceller = &canceller_;  // Stop() cuts retry waits short
  absl::StatusOr<ObjectList> list;
  {
    absl::MutexLock lock(&mu_);
    ++lists_;
  }
  if (options_.page_size > 0) {
    list_options.limit = options_.page_size;
    list = client_.ListAll(gvr_, options_.namespace_name, list_options);
  } else {
    list = client_.List(gvr_, options_.namespace_name, list_options);
  }
  if (!list.ok() && list.status().code() == absl::StatusCode::kCancelled) {
    return false;  // Stop() cut a retry wait: nothing to report
  }
  if (!list.ok()) {
    runtime::log::Warn("informer list failed",
                       {{"resource", gvr_.String()}, {"error", ErrorText(list.status())}});
    return false;
  }
  std::vector<ObjectPtr> objects;
  objects.reserve(list->items.size());
  for (Object& item : list->items) {
    objects.push_back(std::make_shared<const Object>(
        options_.transform ? options_.transform(std::move(item)) : std::move(item)));
  }
  list->items.clear();
  list->items.shrink_to_fit();
  {
    // The cache and the handlers change together, so a handler added
    // meanwhile sees each object exactly once.
    absl::MutexLock lock(&dispatch_mu_);
    std::vector<ObjectPtr> previous = store_.Replace(objects);
    if (!handlers_.empty()) {
      absl::flat_hash_map<std::string, ObjectPtr> old_by_key;
      old_by_key.reserve(previous.size());
      for (ObjectPtr& old : previous) old_by_key[ObjectKeyString(*old)] = std::move(old);
      for (const ObjectPtr& object : objects) {
        auto it = old_by_key.find(ObjectKeyString(*object));
        for (const EventHandler& handler : handlers_) {
          if (it == old_by_key.end()) {
            if (handler.on_add) handler.on_add(object);
          } else if (handler.on_update) {
            handler.on_update(it->second, object);
          }
        }
        if (it != old_by_key.end()) old_by_key.erase(it);
      }
      for (const auto& [key, gone] : old_by_key) {
        for (const EventHandler& handler : handlers_) {
          if (handler.on_delete) handler.on_delete(gone);
        }
      }
    }
  }
  absl::MutexLock lock(&mu_);
  resource_version_ = list->resource_version;
  synced_ = true;
  return true;
}

void Informer::HandleEvent(WatchEvent event, absl::Status* watch_error) {
  if (event.type == WatchEventType::kError) {
    *watch_error = event.error;
    return;
  }
  const std::string version(event.object.resource_version());
  if (event.type != WatchEventType::kBookmark) {
    auto object = std::make_shared<const Object>(
        options_.transform ? options_.transform(std::move(event.object)) : std::move(event.object));
    absl::MutexLock lock(&dispatch_mu_);
    if (event.type == WatchEventType::kDeleted) {
      store_.Delete(ObjectKeyString(*object));
      for (const EventHandler& handler : handlers_) {
        if (handler.on_delete) handler.on_delete(object);
      }
    } else {
      ObjectPtr old = store_.Upsert(object);
      for (const EventHandler& handler : handlers_) {
        if (old == nullptr) {
          if (handler.on_add) handler.on_add(object);
        } else if (handler.on_update) {
          handler.on_update(old, object);
        }
      }
    }
  }
  if (!version.empty()) {
    absl::MutexLock lock(&mu_);
    resource_version_ = version;
  }
}

void Informer::Run() {
  absl::Duration backoff = options_.initial_backoff;
  bool need_list = true;
  auto next_backoff = [&] {
    const absl::Duration delay = backoff;
    backoff = std::min(backoff * 2, options_.max_backoff);
    return delay;
  };
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
    }
    if (need_list) {
      if (!ListAndReplace()) {
        if (!Backoff(next_backoff())) return;
        continue;
      }
      need_list = false;
      backoff = options_.initial_backoff;
    }
    WatchOptions watch;
    watch.label_selector = options_.label_selector;
    watch.field_selector = options_.field_selector;
    watch.resource_version = LastSyncResourceVersion();
    watch.allow_bookmarks = true;
    watch.timeout_seconds =
        options_.watch_timeout_seconds > 0 ? options_.watch_timeout_seconds : RandomWatchTimeout();
    watch.idle_timeout = options_.watch_idle_timeout;
    {
      absl::MutexLock lock(&mu_);
      ++watches_;
    }
    absl::Status watch_error;
    int64_t events = 0;
    absl::Status status = client_.Watch(
        gvr_, options_.namespace_name, watch,
        [&](WatchEvent event) {
          ++events;
          HandleEvent(std::move(event), &watch_error);
          return watch_error.ok();
        },
        &canceller_);
    if (status.code() == absl::StatusCode::kCancelled) return;
    if (!watch_error.ok()) status = watch_error;
    if (IsGone(status)) {
      // The resume point is older than the server keeps: start over.
      runtime::log::Info("informer relists: resource version too old",
                         {{"resource", gvr_.String()}});
      need_list = true;
      continue;
    }
    if (status.ok()) {
      if (events > 0) backoff = options_.initial_backoff;
      // An ended watch that delivered nothing is not worth a hot loop when
      // the server keeps ending watches at once.
      if (events == 0 && !Backoff(next_backoff())) return;
      continue;
    }
    runtime::log::Warn("informer watch failed",
                       {{"resource", gvr_.String()}, {"error", ErrorText(status)}});
    if (!Backoff(next_backoff())) return;
  }
}

void Informer::ResyncLoop() {
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      clock_.AwaitWithDeadline(mu_, absl::Condition(&stopping_),
                               clock_.Now() + options_.resync_period);
      if (stopping_) return;
      if (!synced_) continue;
    }
    absl::MutexLock lock(&dispatch_mu_);
    for (const ObjectPtr& object : store_.List()) {
      for (const EventHandler& handler : handlers_) {
        if (handler.on_update) handler.on_update(object, object);
      }
    }
  }
}

}  // namespace mck8s::kubeapi
