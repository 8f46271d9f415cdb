package roster

import (
	"context"
	"errors"
	"hash/maphash"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/zhangye-backstop/backstop"
	"github.com/zhangye-backstop/backstop/sheet"
)

// BatchRows is how many persons go to the store at once.
const BatchRows = 10000

// recentHouseholds is how many households keep their cells for naming the
// column in which a later row disagrees; older ones keep a hash only.
const recentHouseholds = 256

// householdSeen is what the importer remembers of a household: the row
// that defined it and a hash of its household-level cells.
type householdSeen struct {
	row  int32
	hash uint64
}

// keyMap maps numbers to values, with numeric keys packed into uint64
// (household and person numbers are digits) to keep a million entries
// small.
type keyMap[V any] struct {
	num map[uint64]V
	str map[string]V
}

func newKeyMap[V any]() *keyMap[V] {
	return &keyMap[V]{num: map[uint64]V{}, str: map[string]V{}}
}

func (k *keyMap[V]) key(s string) (uint64, bool) {
	if len(s) == 0 || len(s) > 19 || s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

func (k *keyMap[V]) get(s string) (V, bool) {
	if n, ok := k.key(s); ok {
		v, found := k.num[n]
		return v, found
	}
	v, found := k.str[s]
	return v, found
}

func (k *keyMap[V]) set(s string, v V) {
	if n, ok := k.key(s); ok {
		k.num[n] = v
		return
	}
	k.str[s] = v
}

// importer holds the state of one import.
type importer struct {
	dir        *backstop.RegionDirectory
	user       *backstop.User
	l          *layout
	res        *backstop.ImportResult
	households *keyMap[householdSeen]
	persons    *keyMap[int32]
	recent     map[string][numColumns]string
	recentList []string
	// invalid tells the writing stage that a row was refused.
	invalid atomic.Bool
	// outsideRows counts rows refused for naming something outside the
	// user's region (read by produce only).
	outsideRows int
}

// householdSeed keys the in-memory hashes that compare a household's
// rows within one import; they are never stored.
var householdSeed = maphash.MakeSeed()

func householdHash(cells *[numColumns]string) uint64 {
	var h maphash.Hash
	h.SetSeed(householdSeed)
	for c, v := range cells {
		if columns[c].household {
			h.WriteString(v)
			h.WriteByte(0x1f)
		}
	}
	return h.Sum64()
}

func (im *importer) remember(number string, cells [numColumns]string) {
	if _, ok := im.recent[number]; ok {
		return
	}
	if len(im.recentList) >= recentHouseholds {
		delete(im.recent, im.recentList[0])
		im.recentList = im.recentList[1:]
	}
	im.recent[number] = cells
	im.recentList = append(im.recentList, number)
}

// checkPerson refuses a person number seen before in the file.
func (im *importer) checkPerson(p *rowParser, m *backstop.Member) {
	if m.Number == "" {
		return
	}
	im.checkNumber(p, ColPersonNumber, m.Number, "人编号", "person number")
	if first, dup := im.persons.get(m.Number); dup {
		p.fail(ColPersonNumber, "人编号%s重复（第%d行已出现）", "person number %s appears twice (first in row %d)", m.Number, first)
	} else if len(p.problems) == 0 {
		im.persons.set(m.Number, int32(p.row))
	}
}

// checkNumber refuses, for a user of a region, a household or person
// number that does not start with a village code of the region: numbers
// start with their village's code, so the number names the region, and a
// number outside it is refused by the row alone, before any is looked up
// (the answer does not tell whether it exists elsewhere).
func (im *importer) checkNumber(p *rowParser, c Column, number, zh, en string) {
	if number == "" || im.user.Region == backstop.NationalScope || (len(number) >= 12 && im.user.InScope(number[:12])) {
		return
	}
	p.fail(c, zh+"%s不在您的管辖范围（%s）内：编号以所在村的12位区划代码开头", en+" %s is outside your region %s: numbers start with their village's 12-digit code", number, im.user.Region)
	p.outside = true
}

// check runs the checks that need more than the row itself: the village,
// the scope, agreement with the household's other rows, and duplicate
// person numbers. It returns true when the row starts a household.
func (im *importer) check(p *rowParser, row *parsed) bool {
	h, m := row.household, row.member
	// Village: the code wins over the names.
	if code := p.text(ColVillageCode); code != "" {
		norm, err := backstop.NormalizeRegionCode(code)
		switch {
		case err != nil || len(strings.TrimSpace(code)) != 12:
			p.fail(ColVillageCode, "应为12位村级行政区划代码，不是“%s”", "must be a 12-digit village code, not %q", shown(code))
		case !im.dir.Villages[norm]:
			p.fail(ColVillageCode, "村“%s”不存在：请先导入行政区划", "village %s does not exist: import the regions first", norm)
		default:
			h.VillageCode = norm
		}
	} else if h.Number != "" {
		before := len(p.problems)
		county, town, village := p.field(ColCounty), p.field(ColTownship), p.field(ColVillage)
		code, ok := im.dir.VillageByName(county, town, village)
		switch {
		case len(p.problems) > before:
			// A name longer than any region's: reported as such.
		case !ok:
			p.fail(ColVillage, "找不到村“%s/%s/%s”：请核对名称或填写行政区划代码", "village %s/%s/%s not found: check the names or give 行政区划代码", shown(county), shown(town), shown(village))
		case code == "":
			p.fail(ColVillage, "村名“%s/%s/%s”不唯一：请填写行政区划代码", "village name %s/%s/%s is ambiguous: give 行政区划代码", shown(county), shown(town), shown(village))
		default:
			h.VillageCode = code
		}
	}
	if h.VillageCode != "" && !im.user.InScope(h.VillageCode) {
		p.fail(ColVillageCode, "村%s不在您的管辖范围（%s）内", "village %s is outside your region %s", h.VillageCode, im.user.Region)
		p.outside = true
	}
	im.checkNumber(p, ColHouseholdNumber, h.Number, "户编号", "household number")
	im.checkPerson(p, m)
	if h.Number == "" {
		return false
	}
	hash := householdHash(&row.householdCells)
	seen, ok := im.households.get(h.Number)
	if !ok {
		if len(p.problems) == 0 {
			im.households.set(h.Number, householdSeen{row: int32(p.row), hash: hash})
			im.remember(h.Number, row.householdCells)
			return true
		}
		return false
	}
	if seen.hash != hash {
		if prev, ok := im.recent[h.Number]; ok {
			for c := Column(0); c < numColumns; c++ {
				if columns[c].household && prev[c] != row.householdCells[c] {
					p.fail(c, "同一户（户编号%s）的各行不一致：第%d行为“%s”，本行为“%s”", "rows of household %s disagree: row %d has %q, this row %q",
						h.Number, seen.row, shown(prev[c]), shown(row.householdCells[c]))
				}
			}
		} else {
			p.fail(ColHouseholdNumber, "同一户（户编号%s）的各行在户级字段上与第%d行不一致", "rows of household %s disagree with row %d in a household-level column", h.Number, seen.row)
		}
	}
	return false
}

// read parses and checks one row. A further row of a household already
// read that agrees with it in every household-level cell has the same
// household fields, village and scope, so only its person cells are
// parsed; most rows of a roster are such rows.
func (im *importer) read(p *rowParser) (*backstop.Household, *backstop.Member, bool) {
	number := p.digits(ColHouseholdNumber, true)
	if len(p.problems) == 0 {
		if seen, ok := im.households.get(number); ok {
			// On the stack: most rows are such rows, and a copy of their
			// cells per row was most of what the import allocated.
			var cells [numColumns]string
			p.householdCellsOf(&cells)
			if seen.hash == householdHash(&cells) {
				h := backstop.Household{Number: number}
				if p.text(ColPersonPhone) == "" {
					h.Phone = p.phone(ColHouseholdPhone)
				}
				m := p.member(&h)
				im.checkPerson(p, m)
				return nil, m, false
			}
		}
	}
	row := &parsed{household: p.household(number)}
	row.member = p.member(row.household)
	p.householdCellsOf(&row.householdCells)
	return row.household, row.member, im.check(p, row)
}

// produce reads, parses and checks every row, and sends the valid ones on
// in batches that end between households (so that a household's
// contiguous rows are written together). It owns
// the result's row counts and problems until it returns.
func (im *importer) produce(ctx context.Context, r sheet.Reader, out chan<- backstop.RosterBatch, opts backstop.ImportOptions, total int64) error {
	res := im.res
	var batch backstop.RosterBatch
	last := ""
	send := func() error {
		if len(batch.Members) == 0 {
			return nil
		}
		select {
		case out <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = backstop.RosterBatch{}
		return nil
	}
	for {
		cells, rowNum, err := r.Next()
		if err == io.EOF {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			var be *backstop.Error
			if !errors.As(err, &be) {
				return err
			}
			if sheet.Fatal(err) {
				// A limit or a broken file: the rest cannot be read, and
				// an import of the rows before it would pass for the
				// whole file.
				for _, d := range be.Details {
					d.Column = columnName(r.Header(), d.Column)
					res.AddProblem(d)
				}
				return err
			}
			res.Rows++
			res.InvalidRows++
			im.invalid.Store(true)
			res.AddProblem(backstop.Problem{Row: rowNum, Reason: be.Message, ReasonZH: be.ZH})
			continue
		}
		if blank(cells) {
			continue
		}
		res.Rows++
		p := &rowParser{l: im.l, row: rowNum, cells: cells}
		household, member, starts := im.read(p)
		if len(p.problems) > 0 {
			if p.maskedID {
				return im.maskedExport(p)
			}
			res.InvalidRows++
			if p.outside {
				im.outsideRows++
			}
			im.invalid.Store(true)
			for _, pr := range p.problems {
				res.AddProblem(pr)
			}
			continue
		}
		res.ValidRows++
		if len(batch.Members) >= BatchRows && member.HouseholdNumber != last {
			if err := send(); err != nil {
				return err
			}
		}
		if starts {
			batch.Households = append(batch.Households, household)
		}
		batch.Members = append(batch.Members, member)
		last = member.HouseholdNumber
		if opts.Progress != nil && res.Rows%1000 == 0 {
			opts.Progress(res.Rows, r.BytesRead(), total)
		}
	}
	if opts.Progress != nil {
		opts.Progress(res.Rows, r.BytesRead(), total)
	}
	return send()
}

// Import reads a roster file and writes it through store, all or nothing
// unless opts.SkipInvalid. The result lists every problem as "row N,
// column C: reason". A file that cannot be read at all (not a roster, an
// unknown format, missing columns) is an error and nothing is written; it
// is still recorded when the store is reached.
func Import(ctx context.Context, store backstop.RosterStore, path string, opts backstop.ImportOptions) (*backstop.ImportResult, error) {
	u, err := backstop.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := u.Require(backstop.PermWriteRegistry); err != nil {
		return nil, err
	}
	name := opts.FileName
	if name == "" {
		name = filepath.Base(path)
	}
	res := &backstop.ImportResult{FileName: name, DryRun: opts.DryRun, SkipInvalid: opts.SkipInvalid, Problems: []backstop.Problem{}}
	r, err := sheet.Open(path)
	if err != nil {
		// Not on record (the store is not reached); the error names the
		// row and column when it has one.
		return res, err
	}
	defer r.Close()
	res.Format, res.Encoding = r.Format(), r.Encoding()
	l, missing, dups := resolveLayout(r.Header())
	if len(missing) > 0 || len(dups) > 0 {
		for _, c := range missing {
			res.AddProblem(backstop.Problem{Row: 1, Column: c, Reason: "required column is missing", ReasonZH: "缺少必需的列"})
		}
		for _, c := range dups {
			res.AddProblem(backstop.Problem{Row: 1, Column: c, Reason: "column appears twice", ReasonZH: "列名重复"})
		}
		return res, &backstop.Error{Code: backstop.EINVALID, Message: "The header row lacks required columns: " + res.Problems[0].String(),
			ZH: "表头缺少必需的列：" + res.Problems[0].Column, Details: res.Problems}
	}
	dir, err := store.RegionDirectory(ctx)
	if err != nil {
		return res, err
	}
	im := &importer{dir: dir, user: u, l: l, res: res, households: newKeyMap[householdSeen](), persons: newKeyMap[int32](),
		recent: map[string][numColumns]string{}}
	var total int64
	if opts.Progress != nil {
		total = fileSize(path)
	}
	err = store.ImportRoster(ctx, res, func(w backstop.RosterWriter) error {
		// Reading, checking and preparing rows runs beside writing them:
		// two cores, two stages.
		prodCtx, stop := context.WithCancel(ctx)
		defer stop()
		// Three stages on their own goroutines: read and check rows,
		// prepare row values, write. Whichever is slowest (parsing, or the
		// database) sets the pace; the others overlap with it.
		parsed := make(chan backstop.RosterBatch, 2)
		batches := make(chan backstop.RosterBatch, 2)
		prodErr := make(chan error, 1)
		go func() {
			defer close(parsed)
			prodErr <- im.produce(prodCtx, r, parsed, opts, total)
		}()
		go func() {
			defer close(batches)
			for b := range parsed {
				if !(im.invalid.Load() && !opts.SkipInvalid) {
					w.Prepare(&b)
				}
				select {
				case batches <- b:
				case <-prodCtx.Done():
					for range parsed {
					}
					return
				}
			}
		}()
		var writeErr error
		for b := range batches {
			if writeErr != nil || (im.invalid.Load() && !opts.SkipInvalid) {
				// Nothing more will be written: keep reading to report every
				// problem, but drop the rows.
				continue
			}
			if writeErr = w.WriteBatch(ctx, b); writeErr != nil {
				stop()
			}
		}
		err := <-prodErr
		if writeErr != nil {
			return im.locate(writeErr)
		}
		if err != nil {
			return err
		}
		if res.Rows == 0 {
			res.AddProblem(backstop.Problem{Row: 2, Reason: "the file has a header but no data rows", ReasonZH: "文件只有表头，没有数据行"})
			return backstop.Localized(backstop.EINVALID, "文件没有数据行", "The file has no data rows.")
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	if res.InvalidRows > 0 && !opts.SkipInvalid && im.outsideRows > 0 {
		return res, &backstop.Error{Code: backstop.EFORBIDDEN,
			Message: strconv.Itoa(im.outsideRows) + " row(s) name villages or numbers outside your region " + im.user.Region + "; nothing was written. First: " + res.Problems[0].String(),
			ZH:      strconv.Itoa(im.outsideRows) + "行的村或编号不在您的管辖范围（" + im.user.Region + "）内，未写入任何数据。", Details: res.Problems}
	}
	if res.InvalidRows > 0 && !opts.SkipInvalid {
		return res, &rowsRefused{err: &backstop.Error{Code: backstop.EINVALID,
			Message: strconv.Itoa(res.InvalidRows) + " row(s) have problems; nothing was written. First: " + res.Problems[0].String(),
			ZH:      strconv.Itoa(res.InvalidRows) + "行有错误，未写入任何数据。", Details: res.Problems}}
	}
	return res, nil
}

// rowsRefused is the error of an import refused for problems in its rows
// (SkipInvalid would write the others), as against a file refused as a
// whole: one that cannot be read, exceeds a limit or is a masked export.
type rowsRefused struct{ err *backstop.Error }

func (e *rowsRefused) Error() string { return e.err.Error() }
func (e *rowsRefused) Unwrap() error { return e.err }

// RowsRefused tells whether err refused an import for problems in its
// rows, listed in the result, which SkipInvalid would skip; other errors
// refuse the file as a whole.
func RowsRefused(err error) bool {
	var r *rowsRefused
	return errors.As(err, &r)
}

// columnName names a column the sheet gave by its letter by the file's
// header, as the other problems name columns.
func columnName(header []string, letter string) string {
	i := 0
	for _, c := range []byte(letter) {
		if c < 'A' || c > 'Z' {
			return letter
		}
		i = i*26 + int(c-'A') + 1
	}
	if i == 0 || i > len(header) || header[i-1] == "" {
		return letter
	}
	return header[i-1]
}

// maskedExport refuses a file whose ID numbers are masked, as a masked
// export writes them: once for the file, not once per row, for every row
// of it would fail the same way.
func (im *importer) maskedExport(p *rowParser) error {
	col := im.l.name(ColIDNumber)
	e := backstop.Localized(backstop.EINVALID,
		"这是脱敏导出的文件：证件号码含“*”（自第%d行起），不能导入。请重新导出含完整证件号码和电话的名单（需要查看个人信息的权限；接口用reveal=1，命令行用--reveal），再导入该文件。",
		"This file is a masked export: its ID numbers contain * (from row %d on) and cannot be imported. Export again with full ID numbers and phones (reveal=1 in the API, --reveal on the command line; it needs the permission to see personal data) and import that file.",
		p.row)
	pr := backstop.Problem{Row: p.row, Column: col, Reason: e.Message, ReasonZH: e.ZH}
	im.res.AddProblem(pr)
	im.res.Rows++
	im.res.InvalidRows++
	im.invalid.Store(true)
	e.Details = []backstop.Problem{pr}
	return e
}

// locate turns a store refusal naming household or person numbers into
// row problems.
func (im *importer) locate(err error) error {
	var be *backstop.Error
	if !errors.As(err, &be) || len(be.Details) == 0 {
		return err
	}
	for _, d := range be.Details {
		kind, number, _ := strings.Cut(d.Path, ":")
		p := backstop.Problem{Reason: backstop.MaskPersonalNumbers(d.Reason), ReasonZH: "该编号属于您管辖范围以外的户"}
		switch kind {
		case "household":
			if seen, ok := im.households.get(number); ok {
				p.Row, p.Column = int(seen.row), im.l.name(ColHouseholdNumber)
			}
		case "person":
			if row, ok := im.persons.get(number); ok {
				p.Row, p.Column = int(row), im.l.name(ColPersonNumber)
			}
		}
		im.res.AddProblem(p)
	}
	im.res.InvalidRows += len(be.Details)
	return err
}

func blank(cells []string) bool {
	for _, c := range cells {
		if c != "" {
			return false
		}
	}
	return true
}
