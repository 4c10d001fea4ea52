// Command pulumi-resource-kubernetes serves the provider of the pinned pulumi-kubernetes.
//
// Upstream's main embeds schema-embed.json and terraform-mapping-embed.json, which its
// `go generate` writes from the committed schema.json (version stamped) and which are
// therefore not in the module zip; scripts/e2e-tools writes the same two files here from
// the module's own copies before building (they are git-ignored).
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema-embed.json
var pulumiSchema []byte

//go:embed terraform-mapping-embed.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
