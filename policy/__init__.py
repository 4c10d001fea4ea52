"""kubeforge's CrossGuard policy pack: `pulumi preview --policy-pack policy`. Rules: kubeforge.policy."""
