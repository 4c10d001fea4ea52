// node: the per-node half of the test network, what kind's kindnetd does. It installs the CNI plugins
// shipped in its image on the host, writes the host's CNI configuration (bridge + host-local over the
// node's spec.podCIDR, then portmap) once the controller manager has allocated that CIDR, and keeps a
// route to every other node's pod CIDR through that node's InternalIP (the nodes share one L2 network).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/vishvananda/netlink"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

const (
	pluginSrc = "/opt/cni/bin"      // inside the image
	pluginDst = "/host/opt/cni/bin" // the host's, mounted
	confDir   = "/host/etc/cni/net.d"
	confName  = "10-kubeforge-test.conflist"
)

var plugins = []string{"bridge", "host-local", "loopback", "portmap"}

// writeAtomic replaces path with data unless it already holds it; reports whether it wrote.
func writeAtomic(path string, data []byte, mode os.FileMode) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".kubeforge-")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	return true, os.Rename(tmp.Name(), path)
}

func installPlugins() error {
	for _, p := range plugins {
		f, err := os.Open(filepath.Join(pluginSrc, p))
		if err != nil {
			return err
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			return err
		}
		if wrote, err := writeAtomic(filepath.Join(pluginDst, p), data, 0o755); err != nil {
			return err
		} else if wrote {
			log.Printf("installed CNI plugin %s", p)
		}
	}
	return nil
}

func conflist(podCIDR string) ([]byte, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "kubeforge-test",
		"plugins": []any{
			map[string]any{
				"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
				"ipam": map[string]any{
					"type":   "host-local",
					"ranges": [][]map[string]string{{{"subnet": podCIDR}}},
					"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
				},
			},
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}},
		},
	}
	return json.MarshalIndent(conf, "", "  ")
}

func internalIP(n *corev1.Node) net.IP {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			if ip := net.ParseIP(a.Address); ip != nil && ip.To4() != nil {
				return ip
			}
		}
	}
	return nil
}

func sync(ctx context.Context, client kubernetes.Interface, self string) error {
	nodes, err := client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for i := range nodes.Items {
		n := &nodes.Items[i]
		if n.Spec.PodCIDR == "" {
			continue
		}
		if n.Name == self {
			data, err := conflist(n.Spec.PodCIDR)
			if err != nil {
				return err
			}
			if wrote, err := writeAtomic(filepath.Join(confDir, confName), data, 0o644); err != nil {
				return err
			} else if wrote {
				log.Printf("wrote %s for pod CIDR %s", confName, n.Spec.PodCIDR)
			}
			continue
		}
		_, dst, err := net.ParseCIDR(n.Spec.PodCIDR)
		gw := internalIP(n)
		if err != nil || gw == nil {
			log.Printf("node %s: no usable pod CIDR (%q) or InternalIP", n.Name, n.Spec.PodCIDR)
			continue
		}
		if err := netlink.RouteReplace(&netlink.Route{Dst: dst, Gw: gw}); err != nil {
			return fmt.Errorf("route %s via %s: %w", dst, gw, err)
		}
	}
	return nil
}

func main() {
	self := os.Getenv("NODE_NAME")
	if self == "" {
		log.Fatal("NODE_NAME is not set")
	}
	if err := installPlugins(); err != nil {
		log.Fatalf("installing the CNI plugins: %v", err)
	}
	config, err := rest.InClusterConfig()
	if err != nil {
		log.Fatal(err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for {
		if err := sync(ctx, client, self); err != nil {
			log.Printf("sync: %v", err)
		}
		time.Sleep(5 * time.Second)
	}
}
