"""The official Kubernetes Python client on the same simulated cluster as
bench-kubeapi: list and cache the pods of a namespace (deserialised V1Pod
objects kept in a dict, as an informer-like cache would), then consume a
burst of watch events replayed from a resourceVersion.

Prints one figure per line, "name: value unit".
"""

import argparse
import gc
import os
import time

from kubernetes import client, config, watch


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--context", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--pods", type=int, required=True)
    parser.add_argument("--resource-version", required=True,
                        help="replay the watch from here (before the pods were created)")
    args = parser.parse_args()

    config.load_kube_config(config_file=args.kubeconfig, context=args.context)
    api = client.CoreV1Api()

    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    cache = {}
    cont = None
    while True:
        page = api.list_namespaced_pod(args.namespace, limit=500, _continue=cont)
        for pod in page.items:
            cache[(pod.metadata.namespace, pod.metadata.name)] = pod
        cont = page.metadata._continue
        if not cont:
            break
    elapsed = time.perf_counter() - start
    del page
    gc.collect()
    grown = rss_bytes() - before
    count = len(cache)
    print(f"python_list_cache_pods: {count} pods")
    print(f"python_list_cache_rate: {count / elapsed:.0f} pods/s")
    print(f"python_cached_pod_memory: {grown / max(count, 1):.0f} bytes/pod")

    seen = 0
    start = time.perf_counter()
    stream = watch.Watch()
    for event in stream.stream(api.list_namespaced_pod, args.namespace,
                               resource_version=args.resource_version,
                               timeout_seconds=600):
        obj = event["object"]
        cache[(obj.metadata.namespace, obj.metadata.name)] = obj
        seen += 1
        if seen >= args.pods:
            stream.stop()
            break
    elapsed = time.perf_counter() - start
    print(f"python_watch_burst_events: {seen} events")
    print(f"python_watch_burst_rate: {seen / elapsed:.0f} events/s")


if __name__ == "__main__":
    main()
