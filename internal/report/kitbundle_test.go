package report

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stella-policy/stella/internal/bundle"
	"github.com/stella-policy/stella/internal/governance"
)

// TestNewBundleImport: the approvals an import reports are those its
// governance.BundleApprovals judged, an empty list (never null) otherwise.
func TestNewBundleImport(t *testing.T) {
	res := &bundle.ImportResult{Imported: true, AuditSeq: 7}
	judged := &governance.BundleApprovals{Reports: []*governance.ApprovalReport{{Policy: "P-1@2", Quorum: 1}}}
	for _, tc := range []struct {
		a    bundle.Approvals
		want string
	}{{nil, `"approvals":[]`}, {&governance.BundleApprovals{}, `"approvals":[]`}, {judged, `"approvals":[{`}} {
		out := NewBundleImport(res, tc.a)
		j, err := json.Marshal(out)
		if err != nil || !strings.Contains(string(j), tc.want) || !strings.Contains(string(j), `"auditSeq":7`) {
			t.Errorf("%T: %s, %v", tc.a, j, err)
		}
	}
}
