package dialecttest

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/quarry-go/quarry/queries"
)

// queryCase exercises some generated queries on a database of its own and
// checks their results. methods names every queries.Querier method it calls.
type queryCase struct {
	name    string
	methods []string
	fn      func(e *env)
}

// queryCases is the table from each generated query to the case that
// covers it. A method of queries.Querier named by no case fails the suite:
// a new query needs its conformance case here.
var queryCases = []queryCase{
	{"Users", []string{"UserCreate", "UserGetByID", "UserGetByUsername", "UserList", "UserCount",
		"UserUpdate", "UserSetPassword", "UserSetLastLogin", "UserDelete"}, testUsers},
	{"Groups", []string{"GroupCreate", "GroupGetByName", "GroupList", "GroupDelete", "UserGroupAdd",
		"UserGroupList", "UserGroupRemove", "GroupPermissionAdd", "GroupPermissionRemove"}, testGroups},
	{"Permissions", []string{"PermissionEnsure", "PermissionGetByCodename", "PermissionList",
		"UserPermissionSet", "UserPermissionRemove", "UserPermissionCodenames"}, testPermissions},
	{"AuthVersion", []string{"AuthVersionBump", "AuthVersionGet"}, testAuthVersion},
	{"Audit", []string{"AuditLogInsert", "AuditLogListForObject", "AuditLogListRecent", "AuditLogDeleteBefore"}, testAudit},
	{"Sessions", []string{"SessionCommit", "SessionFind", "SessionFindUser", "SessionTouch", "SessionDelete",
		"SessionListLive", "SessionDeleteExpired"}, testSessions},
	{"LoginFailures", []string{"LoginFailureGet", "LoginFailureCount", "LoginFailureResetWindow",
		"LoginFailureLock", "LoginFailureClear", "LoginFailureDecrement", "LoginFailureDeleteStale"}, testLoginFailures},
	{"Jobs", []string{"JobInsert", "JobInsertUnique", "JobGet", "JobGetByUniqueKey", "JobLockAvailable",
		"JobMarkRunning", "JobComplete", "JobSetOutcome", "JobHeartbeat", "JobListHeld", "JobListExpired",
		"JobListDue", "JobRescue", "JobPromote", "JobDeleteFinished", "JobCancel", "JobRetry", "JobDelete",
		"JobCountByState"}, testJobs},
	{"JobQueues", []string{"JobQueueSetPaused", "JobQueueList", "JobLockAvailable"}, testJobQueues},
	{"Media", []string{"MediaCreate", "MediaGet", "MediaMarkReady", "MediaUpdate", "MediaMarkDeleted", "MediaRestore",
		"MediaDelete", "MediaTagLinksBetween"}, testMedia},
	{"MediaList", []string{"MediaCreate", "MediaList", "MediaListStale", "MediaListKeys", "MediaMarkDeleted"}, testMediaList},
	{"MediaCollections", []string{"MediaCollectionCreate", "MediaCollectionGet", "MediaCollectionList",
		"MediaCollectionUpdate", "MediaCollectionDelete"}, testMediaCollections},
	{"MediaTags", []string{"MediaTagEnsure", "MediaTagGetByName", "MediaTagList", "MediaTagDelete", "MediaTagLinkAdd",
		"MediaTagLinkRemove", "MediaTagLinksBetween"}, testMediaTags},
}

// notYetCovered lists the queries.Querier methods known to lack a case (a
// tracked gap, reported but not failed). Keep it empty.
var notYetCovered = []string{}

// testQueries runs every query case and fails for a generated query that
// no case covers.
func testQueries(t *testing.T, open Open) {
	t.Run("Coverage", testCoverage)
	for _, c := range queryCases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, open)
			c.fn(e)
		})
	}
}

// testCoverage enumerates queries.Querier with reflect: every method must be
// named by a case, and every name in a case must be a method.
func testCoverage(t *testing.T) {
	querier := reflect.TypeFor[queries.Querier]()
	covered := map[string]bool{}
	for _, c := range queryCases {
		for _, m := range c.methods {
			if _, ok := querier.MethodByName(m); !ok {
				t.Errorf("case %s names %s, which queries.Querier does not have", c.name, m)
			}
			covered[m] = true
		}
	}
	var missing, gaps []string
	for i := range querier.NumMethod() {
		name := querier.Method(i).Name
		switch {
		case covered[name] && slices.Contains(notYetCovered, name):
			t.Errorf("%s is covered: remove it from notYetCovered", name)
		case covered[name]:
		case slices.Contains(notYetCovered, name):
			gaps = append(gaps, name)
		default:
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("queries.Querier methods without a conformance case (add them to queryCases in dialects/dialecttest): %v", missing)
	}
	if len(gaps) > 0 {
		t.Logf("known gap, queries.Querier methods not yet covered: %v", gaps)
	}
}

// sameJSON reports whether two JSON texts hold the same value (a JSON
// column may store its own spelling).
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// recent reports whether a time the database set is within a few minutes
// of now (the server's clock and ours may differ a little).
func recent(at time.Time) bool {
	d := time.Since(at)
	return d > -5*time.Minute && d < 5*time.Minute
}
