// Command sdk-client drives `slb-ccm local serve` with Alibaba's Go SDK
// (github.com/aliyun/alibaba-cloud-sdk-go, the SDK the reference CCM uses): the typed
// clients of services/slb, services/ecs and services/vpc with their Domain set to the local
// server over http, signature V2. Every action family the local CLB serves runs its full
// lifecycle (one function per family; the list is in families.go); Local*
// admin actions go through the SDK's CommonRequest. It prints one JSON summary (every call
// with its outcome, every family with pass/fail) and exits 1 when any family failed.
//
// It reads SLB_SDK_ENDPOINT, SLB_SDK_ACCESS_KEY_ID, SLB_SDK_ACCESS_KEY_SECRET and optionally
// SLB_SDK_REGION, SLB_SDK_VSWITCH, SLB_SDK_VPC, SLB_SDK_BACKEND_IP, SLB_SDK_IPV6_PORT. It
// does not start the server; crates/cli/tests/sdk_clients.rs does.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/responses"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// settings come from the environment the Rust test sets.
type settings struct {
	endpoint, keyID, secret, region, vswitch, vpc, backendIP string
	// ipv6Port is the IPv6 listener's port: clients sharing the ::1 VIP at once need different ones.
	ipv6Port int
}

// call is one logged SDK call.
type call struct {
	Action string `json:"action"`
	OK     bool   `json:"ok"`
	Code   string `json:"code,omitempty"`
}

// familyResult is one family's outcome.
type familyResult struct {
	Family string `json:"family"`
	OK     bool   `json:"ok"`
	Error  string `json:"error,omitempty"`
}

// api holds the three typed clients and the call log.
type api struct {
	s     settings
	slb   *slb.Client
	ecs   *ecs.Client
	vpc   *vpc.Client
	calls *[]call
}

// failure is what a family panics with when a check fails; run recovers it.
type failure struct{ msg string }

func fail(format string, args ...any) { panic(failure{fmt.Sprintf(format, args...)}) }

func check(ok bool, format string, args ...any) {
	if !ok {
		fail(format, args...)
	}
}

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	if fallback == "" {
		fmt.Fprintf(os.Stderr, "sdk-client: set %s (the Rust test sets it; see README 'SDK test clients')\n", name)
		os.Exit(2)
	}
	return fallback
}

func newAPI(s settings, keyID, secret string, calls *[]call) (*api, error) {
	cfg := sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false)
	cred := credentials.NewAccessKeyCredential(keyID, secret)
	a := &api{s: s, calls: calls}
	var err error
	if a.slb, err = slb.NewClientWithOptions(s.region, cfg, cred); err != nil {
		return nil, err
	}
	if a.ecs, err = ecs.NewClientWithOptions(s.region, cfg, cred); err != nil {
		return nil, err
	}
	if a.vpc, err = vpc.NewClientWithOptions(s.region, cfg, cred); err != nil {
		return nil, err
	}
	a.slb.Domain, a.ecs.Domain, a.vpc.Domain = s.endpoint, s.endpoint, s.endpoint
	return a, nil
}

// doer is what the three typed clients share (sdk.Client's DoAction).
type doer interface {
	DoAction(requests.AcsRequest, responses.AcsResponse) error
}

// try sends one typed request, logs it and returns the SDK's error (a *ServerError for a
// service error).
func (a *api) try(client doer, req requests.AcsRequest, resp responses.AcsResponse) error {
	err := client.DoAction(req, resp)
	entry := call{Action: req.GetActionName(), OK: err == nil}
	var se *sdkerrors.ServerError
	if errors.As(err, &se) {
		entry.Code = se.ErrorCode()
	}
	*a.calls = append(*a.calls, entry)
	return err
}

// do is try for a call that must succeed.
func (a *api) do(client doer, req requests.AcsRequest, resp responses.AcsResponse) {
	if err := a.try(client, req, resp); err != nil {
		fail("%s: %v", req.GetActionName(), err)
	}
}

// expectError sends req, which must fail with a service error of `code` and HTTP `status`.
func (a *api) expectError(client doer, req requests.AcsRequest, resp responses.AcsResponse, code string, status int) *sdkerrors.ServerError {
	err := a.try(client, req, resp)
	var se *sdkerrors.ServerError
	if !errors.As(err, &se) {
		fail("%s: expected service error %s, got %v", req.GetActionName(), code, err)
	}
	check(se.ErrorCode() == code && se.HttpStatus() == status,
		"%s: expected %s (HTTP %d), got %s (HTTP %d): %s", req.GetActionName(), code, status,
		se.ErrorCode(), se.HttpStatus(), se.Message())
	return se
}

// admin sends a Local* action (no SDK has them) through the SDK's CommonRequest.
func (a *api) admin(action string, params map[string]string) {
	req := requests.NewCommonRequest()
	req.Method = requests.POST
	req.Scheme = "http"
	req.Domain = a.s.endpoint
	req.Version = "2014-05-15"
	req.ApiName = action
	req.QueryParams = params
	_, err := a.slb.ProcessCommonRequest(req)
	*a.calls = append(*a.calls, call{Action: action, OK: err == nil})
	if err != nil {
		fail("%s: %v", action, err)
	}
}

func runFamily(name string, f func(*api), a *api) (res familyResult) {
	res = familyResult{Family: name, OK: true}
	defer func() {
		if r := recover(); r != nil {
			res.OK = false
			if f, ok := r.(failure); ok {
				res.Error = f.msg
			} else {
				res.Error = fmt.Sprintf("panic: %v", r)
			}
		}
	}()
	f(a)
	return res
}

func main() {
	s := settings{
		endpoint: env("SLB_SDK_ENDPOINT", ""), keyID: env("SLB_SDK_ACCESS_KEY_ID", ""),
		secret: env("SLB_SDK_ACCESS_KEY_SECRET", ""), region: env("SLB_SDK_REGION", "cn-hangzhou"),
		vswitch: env("SLB_SDK_VSWITCH", "vsw-local"), vpc: env("SLB_SDK_VPC", "vpc-local"),
		backendIP: env("SLB_SDK_BACKEND_IP", "127.0.0.61"),
	}
	port, err := strconv.Atoi(env("SLB_SDK_IPV6_PORT", "18600"))
	if err != nil {
		fmt.Fprintf(os.Stderr, "sdk-client: SLB_SDK_IPV6_PORT: %v\n", err)
		os.Exit(2)
	}
	s.ipv6Port = port
	var calls []call
	a, err := newAPI(s, s.keyID, s.secret, &calls)
	if err != nil {
		fmt.Fprintf(os.Stderr, "sdk-client: %v\n", err)
		os.Exit(2)
	}
	var results []familyResult
	ok := true
	for _, f := range families {
		r := runFamily(f.name, f.run, a)
		ok = ok && r.OK
		results = append(results, r)
	}
	actions := map[string]bool{}
	for _, c := range calls {
		actions[c.Action] = true
	}
	names := make([]string, 0, len(actions))
	for n := range actions {
		names = append(names, n)
	}
	sort.Strings(names)
	out, _ := json.MarshalIndent(map[string]any{
		"client": "go", "ok": ok, "families": results, "calls": calls, "actions": names,
	}, "", " ")
	fmt.Println(string(out))
	if !ok {
		os.Exit(1)
	}
}
