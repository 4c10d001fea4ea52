// Command pulumi-resource-random is the e2e harness's SIMULATED pulumi-random provider.
//
// Why: the Go module proxy does not serve github.com/pulumi/pulumi-random/provider (403 for /v4,
// /v3 and no suffix), so the real provider cannot be built here. The stack keeps using pulumi-random;
// this stand-in, built from the pinned sdk/v3 only, implements what the stack uses of it:
// random:index/randomPassword:RandomPassword with pulumi-random's inputs (length, lower, upper,
// numeric, number, special, min*, overrideSpecial, keepers) and outputs (result, bcryptHash, the
// inputs with their defaults), crypto/rand, every input change a replacement (as upstream: all its
// inputs force a new password). scripts/e2e-tools installs it at the version the Python SDK asks for.
package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"math/big"
	"os"
	"os/signal"
	"time"

	"github.com/blang/semver"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

const passwordType = "random:index/randomPassword:RandomPassword"

// version: the pulumi-random release the Python SDK requests (stamped by -ldflags -X main.version=...).
var version = "4.21.4"

// Character classes as upstream's random_password (terraform-provider-random) defines them.
const (
	lowerChars   = "abcdefghijklmnopqrstuvwxyz"
	upperChars   = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	numericChars = "0123456789"
	specialChars = "!@#$%&*()-_=+[]{}<>:?"
)

type randomProvider struct {
	plugin.UnimplementedProvider
}

func (p *randomProvider) Close() error { return nil }

func (p *randomProvider) Handshake(
	context.Context, plugin.ProviderHandshakeRequest,
) (*plugin.ProviderHandshakeResponse, error) {
	return &plugin.ProviderHandshakeResponse{AcceptSecrets: true, AcceptResources: true}, nil
}

func (p *randomProvider) GetPluginInfo(context.Context) (plugin.PluginInfo, error) {
	v, err := semver.Parse(version)
	return plugin.PluginInfo{Version: &v}, err
}

func (p *randomProvider) SignalCancellation(context.Context) error { return nil }

func (p *randomProvider) CheckConfig(_ context.Context, req plugin.CheckConfigRequest) (plugin.CheckConfigResponse, error) {
	return plugin.CheckConfigResponse{Properties: req.News}, nil
}

func (p *randomProvider) DiffConfig(context.Context, plugin.DiffConfigRequest) (plugin.DiffConfigResponse, error) {
	return plugin.DiffResult{Changes: plugin.DiffNone}, nil
}

func (p *randomProvider) Configure(context.Context, plugin.ConfigureRequest) (plugin.ConfigureResponse, error) {
	return plugin.ConfigureResponse{}, nil
}

// Check fills upstream's defaults so that state and diffs carry them, and validates the length.
func (p *randomProvider) Check(_ context.Context, req plugin.CheckRequest) (plugin.CheckResponse, error) {
	if req.Type != passwordType {
		return plugin.CheckResponse{}, fmt.Errorf("pulumi-random stand-in: unsupported type %s (only %s)", req.Type, passwordType)
	}
	news := req.News.Copy()
	for _, k := range []resource.PropertyKey{"lower", "upper", "numeric", "number", "special"} {
		if _, ok := news[k]; !ok {
			news[k] = resource.NewBoolProperty(true)
		}
	}
	for _, k := range []resource.PropertyKey{"minLower", "minUpper", "minNumeric", "minSpecial"} {
		if _, ok := news[k]; !ok {
			news[k] = resource.NewNumberProperty(0)
		}
	}
	var failures []plugin.CheckFailure
	if l, ok := news["length"]; !ok || (l.IsNumber() && l.NumberValue() < 1) {
		failures = append(failures, plugin.CheckFailure{Property: "length", Reason: "length is required and at least 1"})
	}
	return plugin.CheckResponse{Properties: news, Failures: failures}, nil
}

// Diff: any input change replaces the password (upstream marks every input RequiresReplace).
func (p *randomProvider) Diff(_ context.Context, req plugin.DiffRequest) (plugin.DiffResponse, error) {
	diff := req.OldInputs.Diff(req.NewInputs)
	if diff == nil || !diff.AnyChanges() {
		return plugin.DiffResult{Changes: plugin.DiffNone}, nil
	}
	keys := diff.ChangedKeys()
	return plugin.DiffResult{Changes: plugin.DiffSome, ReplaceKeys: keys, ChangedKeys: keys}, nil
}

func (p *randomProvider) Create(_ context.Context, req plugin.CreateRequest) (plugin.CreateResponse, error) {
	if req.Preview {
		return plugin.CreateResponse{Properties: req.Properties}, nil
	}
	out, err := generate(req.Properties)
	if err != nil {
		return plugin.CreateResponse{}, err
	}
	return plugin.CreateResponse{ID: "none", Properties: out}, nil
}

// Read (refresh): a password lives only in the state, which is therefore the truth.
func (p *randomProvider) Read(_ context.Context, req plugin.ReadRequest) (plugin.ReadResponse, error) {
	return plugin.ReadResponse{ReadResult: plugin.ReadResult{ID: req.ID, Inputs: req.Inputs, Outputs: req.State}}, nil
}

func (p *randomProvider) Update(_ context.Context, req plugin.UpdateRequest) (plugin.UpdateResponse, error) {
	return plugin.UpdateResponse{}, fmt.Errorf("pulumi-random stand-in: %s is replaced, never updated", req.URN)
}

func (p *randomProvider) Delete(context.Context, plugin.DeleteRequest) (plugin.DeleteResponse, error) {
	return plugin.DeleteResponse{}, nil
}

func intOf(m resource.PropertyMap, k resource.PropertyKey) int {
	if v, ok := m[k]; ok && v.IsNumber() {
		return int(v.NumberValue())
	}
	return 0
}

func boolOf(m resource.PropertyMap, k resource.PropertyKey) bool {
	v, ok := m[k]
	return !ok || !v.IsBool() || v.BoolValue()
}

func pick(chars string) (byte, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(int64(len(chars))))
	if err != nil {
		return 0, err
	}
	return chars[n.Int64()], nil
}

// generate: the minimum of each class first, the rest from every enabled class, then a shuffle.
func generate(in resource.PropertyMap) (resource.PropertyMap, error) {
	length := intOf(in, "length")
	special := specialChars
	if v, ok := in["overrideSpecial"]; ok && v.IsString() {
		special = v.StringValue()
	}
	classes := []struct {
		on    bool
		chars string
		min   int
	}{
		{boolOf(in, "lower"), lowerChars, intOf(in, "minLower")},
		{boolOf(in, "upper"), upperChars, intOf(in, "minUpper")},
		{boolOf(in, "numeric") && boolOf(in, "number"), numericChars, intOf(in, "minNumeric")},
		{boolOf(in, "special"), special, intOf(in, "minSpecial")},
	}
	all := ""
	var buf []byte
	for _, c := range classes {
		if !c.on || c.chars == "" {
			continue
		}
		all += c.chars
		for i := 0; i < c.min; i++ {
			b, err := pick(c.chars)
			if err != nil {
				return nil, err
			}
			buf = append(buf, b)
		}
	}
	if all == "" {
		return nil, fmt.Errorf("pulumi-random stand-in: every character class is off")
	}
	for len(buf) < length {
		b, err := pick(all)
		if err != nil {
			return nil, err
		}
		buf = append(buf, b)
	}
	for i := len(buf) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return nil, err
		}
		buf[i], buf[j.Int64()] = buf[j.Int64()], buf[i]
	}
	hash, err := bcrypt.GenerateFromPassword(buf, bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	out := in.Copy()
	out["result"] = resource.MakeSecret(resource.NewStringProperty(string(buf)))
	out["bcryptHash"] = resource.MakeSecret(resource.NewStringProperty(string(hash)))
	return out, nil
}

// main serves like sdk/v3's provider.Main, without its tracing bridge (a module go.sum does not pin):
// print the port, stop on SIGINT (the engine's "done") or when the engine stops answering.
func main() {
	flag.String("tracing", "", "ignored: no tracing in the stand-in")
	flag.Parse()
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt)
	defer cancel()
	if flag.NArg() == 1 {
		if err := rpcutil.Healthcheck(ctx, flag.Arg(0), 5*time.Minute, cancel); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	stop := make(chan bool)
	go func() { <-ctx.Done(); close(stop) }()
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: stop,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterResourceProviderServer(srv, plugin.NewProviderServer(&randomProvider{}))
			return nil
		},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
