"""Image registry rewrite for air-gapped mirrors: docker.io/x/y:t becomes <mirror>/x/y:t."""

from __future__ import annotations

import json

from kubeforge.k8s import KObj, pod_spec


def _registry_and_path(image: str) -> tuple[str, str]:
    first, _, rest = image.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    # No registry host: Docker Hub, where single names live under library/.
    return "docker.io", image if rest else f"library/{image}"


def mirror_image(image: str, registry: str) -> str:
    _, path = _registry_and_path(image)
    return f"{registry.rstrip('/')}/{path}"


def rewrite_images(objects: list[KObj], registry: str | None) -> list[KObj]:
    if not registry:
        return objects
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        for key in ("containers", "initContainers", "ephemeralContainers"):
            for container in spec.get(key) or []:
                if isinstance(container.get("image"), str):
                    container["image"] = mirror_image(container["image"], registry)
    return objects


def pin_config_images(objects: list[KObj], version: str) -> list[KObj]:
    """KServe's inferenceservice-config names runtime images with `defaultImageVersion: latest`
    (the ART explainer): pin each floating one to the component's release tag."""
    for obj in objects:
        if obj.get("kind") != "ConfigMap":
            continue
        data = obj.get("data") or {}
        for key, text in data.items():
            if key.startswith("_") or not isinstance(text, str) or '"defaultImageVersion"' not in text:
                continue
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            if _pin(doc, version):
                data[key] = json.dumps(doc, indent=2, sort_keys=True)
    return objects


def _pin(value: object, version: str) -> bool:
    changed = False
    if isinstance(value, dict):
        if value.get("defaultImageVersion") in ("", "latest"):
            value["defaultImageVersion"] = version
            changed = True
        for v in value.values():
            changed = _pin(v, version) or changed
    elif isinstance(value, list):
        for v in value:
            changed = _pin(v, version) or changed
    return changed


def images_of(objects: list[KObj]) -> list[str]:
    found: set[str] = set()
    for obj in objects:
        spec = pod_spec(obj)
        if spec is None:
            continue
        for key in ("containers", "initContainers"):
            for container in spec.get(key) or []:
                if isinstance(container.get("image"), str):
                    found.add(container["image"])
    return sorted(found)
