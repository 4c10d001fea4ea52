"""Image registry rewrite for air-gapped mirrors: docker.io/x/y:t becomes <mirror>/x/y:t."""

from __future__ import annotations

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
