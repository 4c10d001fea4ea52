"""caBundles that cert-manager's cainjector fills: the render leaves them out, so the injector alone owns them."""

from __future__ import annotations

import copy

from kubeforge.k8s import KObj, annotations_of

INJECT_ANNOTATIONS = ("cert-manager.io/inject-ca-from", "cert-manager.io/inject-ca-from-secret")


def _client_configs(obj: KObj) -> list[dict[str, object]]:
    """Where a caBundle lives: each webhook's clientConfig, a CRD's conversion webhook, an APIService's spec."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    found: list[object] = [w.get("clientConfig") for w in obj.get("webhooks") or [] if isinstance(w, dict)]
    conversion = (spec or {}).get("conversion") or {}
    found.append(((conversion.get("webhook") or {}) if isinstance(conversion, dict) else {}).get("clientConfig"))
    if obj.get("kind") == "APIService":
        found.append(spec)
    return [c for c in found if isinstance(c, dict)]


def leave_ca_bundles_to_injector(objects: list[KObj]) -> list[KObj]:
    """Drop `caBundle` wherever a `cert-manager.io/inject-ca-from(-secret)` annotation asks for injection.

    Upstream ships `caBundle: ""` placeholders (PodDefaults' webhook): applied, the field manager
    `kubeforge` owns it, a later apply resets what cainjector wrote, and every `pulumi refresh` shows it
    as drift (seen on the e2e harness with the real provider).
    """
    out: list[KObj] = []
    for obj in objects:
        if any(a in annotations_of(obj) for a in INJECT_ANNOTATIONS) and any(
            "caBundle" in c for c in _client_configs(obj)
        ):
            obj = copy.deepcopy(obj)
            for config in _client_configs(obj):
                config.pop("caBundle", None)
        out.append(obj)
    return out
