package accounts_test

import (
	"context"
	"testing"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/accounts"
	"github.com/zhangye-backstop/backstop/storetest"
)

// TestRoleOrder holds the documented order: admin > city > county >
// township > village, department and auditor beside the line (at most
// admin and themselves).
func TestRoleOrder(t *testing.T) {
	at := func(a, b backstop.Role) bool { return a.AtMost(b) }
	for _, c := range []struct {
		r, other backstop.Role
		want     bool
	}{
		{backstop.RoleVillage, backstop.RoleTownship, true},
		{backstop.RoleTownship, backstop.RoleCounty, true},
		{backstop.RoleCounty, backstop.RoleCity, true},
		{backstop.RoleCity, backstop.RoleAdmin, true},
		{backstop.RoleCity, backstop.RoleCounty, false},
		{backstop.RoleAdmin, backstop.RoleCity, false},
		{backstop.RoleDepartment, backstop.RoleAdmin, true},
		{backstop.RoleAuditor, backstop.RoleAdmin, true},
		{backstop.RoleDepartment, backstop.RoleDepartment, true},
		{backstop.RoleDepartment, backstop.RoleCity, false},
		{backstop.RoleVillage, backstop.RoleDepartment, false},
		{backstop.RoleAuditor, backstop.RoleCounty, false},
	} {
		if got := at(c.r, c.other); got != c.want {
			t.Errorf("%s at most %s = %t, want %t", c.r, c.other, got, c.want)
		}
	}
	county := &backstop.User{Name: "a", Role: backstop.RoleAdmin, Region: "620723000000"}
	national := &backstop.User{Name: "n", Role: backstop.RoleAdmin, Region: backstop.NationalScope}
	officer := &backstop.User{Name: "o", Role: backstop.RoleCity, Region: "620700000000"}
	for _, c := range []struct {
		u      *backstop.User
		role   backstop.Role
		region string
		want   bool
	}{
		{county, backstop.RoleVillage, "620723101201", true},
		{county, backstop.RoleAdmin, "620723000000", true},
		{county, backstop.RoleTownship, "620722107000", false},
		{county, backstop.RoleAuditor, backstop.NationalScope, false},
		{county, backstop.RoleCity, "620700000000", false},
		{national, backstop.RoleAdmin, backstop.NationalScope, true},
		{national, backstop.RoleVillage, "620722107206", true},
		{officer, backstop.RoleVillage, "620723101201", false}, // no users:manage
	} {
		if got := c.u.Manages(c.role, c.region); got != c.want {
			t.Errorf("%s (%s) manages %s in %s = %t, want %t", c.u.Name, c.u.Region, c.role, c.region, got, c.want)
		}
	}
}

// TestServiceRefusesEarly: the service refuses a grant outside the
// admin's scope before the store is asked, with the Chinese text, and a
// non-admin before anything.
func TestServiceRefusesEarly(t *testing.T) {
	db := storetest.OpenSQLite(t)
	storetest.LoadRegions(t, db)
	s := &accounts.Service{Store: db}
	admin := &backstop.User{Name: "linze-admin", Role: backstop.RoleAdmin, Region: "620723000000"}
	if err := db.CreateUser(storetest.Admin(), admin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	ctx := backstop.NewContextWithUser(context.Background(), admin)
	err := s.CreateUser(ctx, &backstop.User{Name: "x", Role: backstop.RoleAdmin, Region: backstop.NationalScope}, "correct horse battery")
	if backstop.ErrorCode(err) != backstop.EFORBIDDEN || backstop.ErrorMessageZH(err) == backstop.ErrorMessage(err) {
		t.Errorf("national admin by a county admin: %v", err)
	}
	if _, err := s.SetDisabled(ctx, "linze-admin", true); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("disable oneself: %v", err)
	}
	town := backstop.NewContextWithUser(context.Background(), &backstop.User{Name: "t", Role: backstop.RoleTownship, Region: "620723101000"})
	if _, _, err := s.Users(town, backstop.UserFilter{}); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("township lists users: %v", err)
	}
	if _, err := s.Change(town, "linze-admin", func(u *backstop.User) { u.Disabled = true }); backstop.ErrorCode(err) != backstop.EFORBIDDEN {
		t.Errorf("township changes a user: %v", err)
	}
	if _, _, err := s.Users(context.Background(), backstop.UserFilter{}); backstop.ErrorCode(err) != backstop.EUNAUTHORIZED {
		t.Errorf("no user: %v", err)
	}
}
