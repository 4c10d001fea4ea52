"""Platform-wide decisions that checkov flags on every workload, recorded where checkov reads them.

Each entry is a checkov check that kubeforge fails on purpose, with the reason; the annotation
(`checkov.io/skipN: CHECK=reason`) makes the decision visible on the object itself and in reports
as "skipped", never silently passed. Only platform-wide decisions belong here, not per-image gaps.
"""

from __future__ import annotations

from kubeforge.k8s import KObj, pod_spec

DECISIONS = {
    "CKV_K8S_43": "images are pinned by the release lock's tag; resolving digests needs registry access "
    "when the lock is made, which air-gapped sites cannot give",
    "CKV_K8S_15": "IfNotPresent keeps nodes within registry pull limits; the lock pins release tags and "
    "policy KF007 refuses floating ones",
}


def record_decisions(objects: list[KObj]) -> list[KObj]:
    for obj in objects:
        if pod_spec(obj) is None:
            continue
        annotations = (obj.setdefault("metadata", {}).get("annotations")) or {}
        taken = {v.split("=", 1)[0] for k, v in annotations.items() if k.startswith("checkov.io/skip")}
        n = 1 + sum(1 for k in annotations if k.startswith("checkov.io/skip"))
        for check, reason in DECISIONS.items():
            if check in taken:
                continue
            while f"checkov.io/skip{n}" in annotations:
                n += 1
            annotations[f"checkov.io/skip{n}"] = f"{check}={reason}"
            n += 1
        obj["metadata"]["annotations"] = annotations
    return objects
