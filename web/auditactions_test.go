package web_test

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/zhangye-backstop/backstop"
)

// auditWriters are the functions that write an audit row, with the
// position of their action argument and their number of arguments.
var auditWriters = map[string][2]int{"Audit": {1, 5}, "audit": {2, 6}, "auditIn": {3, 7}}

// dynamicActions are the actions written as a prefix and a state or step
// ("plan."+string(to)): the values each prefix takes. A new prefix goes
// here with its values.
var dynamicActions = map[string][]string{
	"asset.":        {string(backstop.DecisionApproved), string(backstop.DecisionRejected)},
	"assist.water_": {backstop.WaterQualityTest, backstop.WaterRecheck},
	"loan.":         {string(backstop.LoanRefused), string(backstop.LoanRepaid)}, // SetLoanState: refuse, repaid
	"intake.":       {backstop.StepCheck, backstop.StepAnswer, backstop.StepApprove, backstop.StepReject},
	"plan.":         {string(backstop.PlanDraft), string(backstop.PlanSubmitted), string(backstop.PlanApproved)},
	"project.":      {backstop.StepPassed, backstop.StepRejected},
	"publicity.":    {string(backstop.PublicityProposed), string(backstop.PublicityPlanned), string(backstop.PublicityHeld), string(backstop.PublicityDropped)},
}

var actionName = regexp.MustCompile(`^[a-z_]+(\.[a-z_]+)+$`)

// moduleAuditActions reads every action the module's Go sources pass to
// an audit writer: a literal, or a variable of the function that is
// assigned literals. It returns action → first place written, and the
// places whose action it cannot tell.
func moduleAuditActions(t *testing.T) (map[string]string, []string) {
	t.Helper()
	fset := token.NewFileSet()
	actions := map[string]string{}
	var unknown []string
	var fieldActions [][2]string
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != ".." && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			// Literals assigned to each name in the function.
			assigned := map[string][]string{}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				as, ok := n.(*ast.AssignStmt)
				if !ok || len(as.Lhs) != len(as.Rhs) {
					return true
				}
				for i, l := range as.Lhs {
					// A change's action set by field (ch.Action = "…") is
					// written where the change is stored.
					if fs, ok := l.(*ast.SelectorExpr); ok && fs.Sel.Name == "Action" {
						if lit, ok := as.Rhs[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							v, _ := strconv.Unquote(lit.Value)
							fieldActions = append(fieldActions, [2]string{v, fset.Position(lit.Pos()).String()})
						}
					}
					id, ok1 := l.(*ast.Ident)
					lit, ok2 := as.Rhs[i].(*ast.BasicLit)
					if ok1 && ok2 && lit.Kind == token.STRING {
						v, _ := strconv.Unquote(lit.Value)
						assigned[id.Name] = append(assigned[id.Name], v)
					}
				}
				return true
			})
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				// …or in the change's literal (CaseChange{Action: "…"}).
				if kv, ok := n.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Action" {
						if lit, ok := kv.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							v, _ := strconv.Unquote(lit.Value)
							fieldActions = append(fieldActions, [2]string{v, fset.Position(lit.Pos()).String()})
						}
					}
					return true
				}
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				w, ok := auditWriters[sel.Sel.Name]
				at := w[0]
				if !ok || len(call.Args) != w[1] {
					return true
				}
				where := fset.Position(call.Pos()).String()
				var vals []string
				switch a := call.Args[at].(type) {
				case *ast.BasicLit:
					v, _ := strconv.Unquote(a.Value)
					vals = []string{v}
				case *ast.BinaryExpr:
					if lit, ok := a.X.(*ast.BasicLit); ok && a.Op == token.ADD && lit.Kind == token.STRING {
						prefix, _ := strconv.Unquote(lit.Value)
						for _, v := range dynamicActions[prefix] {
							vals = append(vals, prefix+v)
						}
					}
				case *ast.SelectorExpr:
					if a.Sel.Name == "Action" {
						return true // the change's Action fields are read where set
					}
				case *ast.Ident:
					vals = assigned[a.Name]
					if fn.Name.Name == "Audit" || fn.Name.Name == "audit" || fn.Name.Name == "auditIn" {
						return true // the writers pass their own parameter on
					}
				}
				if len(vals) == 0 {
					unknown = append(unknown, where)
				}
				for _, v := range vals {
					if !actionName.MatchString(v) {
						unknown = append(unknown, where+" ("+v+")")
						continue
					}
					if _, seen := actions[v]; !seen {
						actions[v] = where
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, fa := range fieldActions {
		if !actionName.MatchString(fa[0]) {
			continue // an Action field of something else
		}
		if _, seen := actions[fa[0]]; !seen {
			actions[fa[0]] = fa[1]
		}
	}
	return actions, unknown
}

// TestEveryAuditActionHasAName: each audit action the module writes has a
// name in both catalogs (audit.action.<action>), so that the audit page
// never reads 其他操作 or the code.
func TestEveryAuditActionHasAName(t *testing.T) {
	actions, unknown := moduleAuditActions(t)
	for _, u := range unknown {
		t.Errorf("%s: an audit row whose action this test cannot read: pass a literal, a variable assigned literals in the function, or a prefix listed in dynamicActions", u)
	}
	if len(actions) < 40 {
		t.Fatalf("only %d audit actions found: the walk missed the module", len(actions))
	}
	names := make([]string, 0, len(actions))
	for a := range actions {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, lang := range []string{"zh-CN", "en"} {
		raw, err := os.ReadFile("locale/" + lang + ".json")
		if err != nil {
			t.Fatal(err)
		}
		cat := map[string]string{}
		if err := json.Unmarshal(raw, &cat); err != nil {
			t.Fatal(err)
		}
		for _, a := range names {
			if strings.TrimSpace(cat["audit.action."+a]) == "" {
				t.Errorf("audit action %q (written at %s) has no name in web/locale/%s.json: add \"audit.action.%s\"", a, actions[a], lang, a)
			}
		}
	}
}
