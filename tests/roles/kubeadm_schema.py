"""Structural JSON schemas for the kubeadm v1beta4 and kubelet v1beta1 documents kubeforge renders.

Derived by hand from the published API reference (kubernetes.io/docs/reference/config-api/
kubeadm-config.v1beta4/ and kubelet-config.v1beta1/): field names, types, and the v1beta4 change
that made extraArgs/kubeletExtraArgs lists of {name, value}. It covers the fields kubeforge uses
and rejects unknown ones (additionalProperties: false) so a typo or a v1beta3-shaped field fails;
it is not the full API. Where kubeadm is installed the roles also run `kubeadm config validate`.
"""

from __future__ import annotations

from typing import Any

import jsonschema
import yaml

_ARGS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "value"],
        "additionalProperties": False,
        "properties": {"name": {"type": "string"}, "value": {"type": "string"}},
    },
}
_VOLUMES = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "hostPath", "mountPath"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string"},
            "hostPath": {"type": "string"},
            "mountPath": {"type": "string"},
            "readOnly": {"type": "boolean"},
            "pathType": {
                "enum": [
                    "",
                    "DirectoryOrCreate",
                    "Directory",
                    "FileOrCreate",
                    "File",
                    "Socket",
                    "CharDevice",
                    "BlockDevice",
                ]
            },
        },
    },
}
_CONTROL_PLANE_COMPONENT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {"extraArgs": _ARGS, "extraVolumes": _VOLUMES, "extraEnvs": {"type": "array"}},
}
_TAINT = {
    "type": "object",
    "required": ["key", "effect"],
    "properties": {
        "key": {"type": "string"},
        "value": {"type": "string"},
        "effect": {"enum": ["NoSchedule", "PreferNoSchedule", "NoExecute"]},
    },
}
_NODE_REGISTRATION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "criSocket": {"type": "string", "pattern": "^unix://"},
        "taints": {"type": "array", "items": _TAINT},
        "kubeletExtraArgs": _ARGS,
        "ignorePreflightErrors": {"type": "array", "items": {"type": "string"}},
        "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
        "imagePullSerial": {"type": "boolean"},
    },
}
# Reserved resources: cpu, memory, ephemeral-storage, pid mapped to quantities (strings).
_QUANTITIES = {
    "type": "object",
    "additionalProperties": False,
    "patternProperties": {"^(cpu|memory|ephemeral-storage|pid)$": {"type": "string"}},
}
_HEADER = {
    "apiVersion": {"const": "kubeadm.k8s.io/v1beta4"},
    "kind": {"type": "string"},
}

SCHEMAS: dict[str, dict[str, Any]] = {
    "InitConfiguration": {
        "type": "object",
        "required": ["apiVersion", "kind"],
        "additionalProperties": False,
        "properties": {
            **_HEADER,
            "bootstrapTokens": {"type": "array"},
            "nodeRegistration": _NODE_REGISTRATION,
            "localAPIEndpoint": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "advertiseAddress": {"type": "string"},
                    "bindPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                },
            },
            "certificateKey": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
            "skipPhases": {"type": "array", "items": {"type": "string"}},
            "patches": {"type": "object"},
            "timeouts": {"type": "object"},
        },
    },
    "ClusterConfiguration": {
        "type": "object",
        "required": ["apiVersion", "kind", "kubernetesVersion"],
        "additionalProperties": False,
        "properties": {
            **_HEADER,
            "etcd": {"type": "object"},
            "networking": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "serviceSubnet": {"type": "string"},
                    "podSubnet": {"type": "string"},
                    "dnsDomain": {"type": "string"},
                },
            },
            "kubernetesVersion": {"type": "string", "pattern": r"^v\d+\.\d+\.\d+$"},
            "controlPlaneEndpoint": {"type": "string"},
            "apiServer": {
                **_CONTROL_PLANE_COMPONENT,
                "properties": {
                    **_CONTROL_PLANE_COMPONENT["properties"],
                    "certSANs": {"type": "array", "items": {"type": "string"}},
                },
            },
            "controllerManager": _CONTROL_PLANE_COMPONENT,
            "scheduler": _CONTROL_PLANE_COMPONENT,
            "dns": {"type": "object"},
            "proxy": {"type": "object"},
            "certificatesDir": {"type": "string"},
            "imageRepository": {"type": "string"},
            "featureGates": {"type": "object", "additionalProperties": {"type": "boolean"}},
            "clusterName": {"type": "string"},
            "encryptionAlgorithm": {"enum": ["ECDSA-P256", "ECDSA-P384", "RSA-2048", "RSA-3072", "RSA-4096"]},
            "certificateValidityPeriod": {"type": "string"},
            "caCertificateValidityPeriod": {"type": "string"},
        },
    },
    "JoinConfiguration": {
        "type": "object",
        "required": ["apiVersion", "kind", "discovery"],
        "additionalProperties": False,
        "properties": {
            **_HEADER,
            "caCertPath": {"type": "string"},
            "nodeRegistration": _NODE_REGISTRATION,
            "discovery": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "bootstrapToken": {
                        "type": "object",
                        "required": ["apiServerEndpoint", "token"],
                        "additionalProperties": False,
                        "properties": {
                            "token": {"type": "string", "pattern": r"^[a-z0-9]{6}\.[a-z0-9]{16}$"},
                            "apiServerEndpoint": {"type": "string"},
                            "caCertHashes": {
                                "type": "array",
                                "items": {"type": "string", "pattern": "^sha256:[a-f0-9]{64}$"},
                            },
                            "unsafeSkipCAVerification": {"type": "boolean"},
                        },
                    },
                    "file": {
                        "type": "object",
                        "required": ["kubeConfigPath"],
                        "additionalProperties": False,
                        "properties": {"kubeConfigPath": {"type": "string"}},
                    },
                    "tlsBootstrapToken": {"type": "string", "pattern": r"^[a-z0-9]{6}\.[a-z0-9]{16}$"},
                },
            },
            "controlPlane": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "localAPIEndpoint": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "advertiseAddress": {"type": "string"},
                            "bindPort": {"type": "integer", "minimum": 1, "maximum": 65535},
                        },
                    },
                    "certificateKey": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                },
            },
            "skipPhases": {"type": "array", "items": {"type": "string"}},
            "patches": {"type": "object"},
            "timeouts": {"type": "object"},
        },
    },
    # kubelet.config.k8s.io/v1beta1 has ~100 fields; only the ones kubeforge sets are allowed here.
    "KubeletConfiguration": {
        "type": "object",
        "additionalProperties": False,
        "required": ["apiVersion", "kind"],
        "properties": {
            "apiVersion": {"const": "kubelet.config.k8s.io/v1beta1"},
            "kind": {"const": "KubeletConfiguration"},
            "cgroupDriver": {"enum": ["systemd", "cgroupfs"]},
            "readOnlyPort": {"type": "integer"},
            "authentication": {
                "type": "object",
                "properties": {
                    "anonymous": {"type": "object", "properties": {"enabled": {"type": "boolean"}}},
                    "webhook": {"type": "object", "properties": {"enabled": {"type": "boolean"}}},
                },
            },
            "authorization": {"type": "object", "properties": {"mode": {"enum": ["AlwaysAllow", "Webhook"]}}},
            "protectKernelDefaults": {"type": "boolean"},
            "failCgroupV1": {"type": "boolean"},
            "imageGCHighThresholdPercent": {"type": "integer", "minimum": 0, "maximum": 100},
            "imageGCLowThresholdPercent": {"type": "integer", "minimum": 0, "maximum": 100},
            "serverTLSBootstrap": {"type": "boolean"},
            "rotateCertificates": {"type": "boolean"},
            "tlsMinVersion": {"enum": ["VersionTLS12", "VersionTLS13"]},
            "systemReserved": _QUANTITIES,
            "kubeReserved": _QUANTITIES,
            "evictionHard": {"type": "object", "additionalProperties": {"type": "string"}},
            "shutdownGracePeriod": {"type": "string", "pattern": r"^\d+(s|m|h)$"},
            "shutdownGracePeriodCriticalPods": {"type": "string", "pattern": r"^\d+(s|m|h)$"},
        },
    },
}


def validate_documents(text: str) -> list[dict[str, Any]]:
    """Validate every YAML document against its kind's schema; return the parsed documents."""
    documents = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    for doc in documents:
        kind = doc.get("kind")
        if kind not in SCHEMAS:
            raise jsonschema.ValidationError(f"unexpected kind {kind!r}")
        jsonschema.validate(doc, SCHEMAS[kind])
    return documents
