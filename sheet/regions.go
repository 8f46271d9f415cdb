package sheet

import (
	"fmt"
	"io"
	"strings"

	"github.com/zhangye-backstop/backstop"
)

// ReadRegions reads a code list (CSV or xlsx) with a code and a name column;
// other columns are ignored. Codes of 6, 9 or 12 digits are padded to 12.
// Every bad row is reported; none is returned then.
func ReadRegions(path string) ([]*backstop.Region, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	codeCol, nameCol := -1, -1
	for i, h := range r.Header() {
		switch strings.ToLower(strings.TrimPrefix(h, "\ufeff")) {
		case "code", "adcode", "行政区划代码", "区划代码", "代码":
			codeCol = i
		case "name", "名称", "区划名称":
			nameCol = i
		}
	}
	if codeCol < 0 || nameCol < 0 {
		return nil, backstop.Localized(backstop.EINVALID, "第1行：行政区划表需要“代码”列和“名称”列（现有列：%s）", "row 1: a region list needs a code column and a name column (found %s)", strings.Join(r.Header(), ", "))
	}
	var out []*backstop.Region
	var probs []backstop.Problem
	seen := map[string]int{}
	for {
		cells, row, err := r.Next()
		if err == io.EOF {
			break
		} else if err != nil {
			return nil, err
		}
		if len(cells) == 0 || strings.Join(cells, "") == "" {
			continue
		}
		get := func(i int) string {
			if i < len(cells) {
				return cells[i]
			}
			return ""
		}
		code, name := get(codeCol), get(nameCol)
		norm, err := backstop.NormalizeRegionCode(code)
		if err != nil {
			probs = append(probs, backstop.Problem{Row: row, Column: r.Header()[codeCol], Reason: backstop.ErrorMessage(err), ReasonZH: backstop.ErrorMessageZH(err)})
			continue
		}
		if name == "" {
			probs = append(probs, backstop.Problem{Row: row, Column: r.Header()[nameCol], Reason: "name is required", ReasonZH: "名称不能为空"})
			continue
		}
		if first, dup := seen[norm]; dup {
			probs = append(probs, backstop.Problem{Row: row, Column: r.Header()[codeCol], Reason: fmt.Sprintf("code %s appears twice (first in row %d)", norm, first), ReasonZH: fmt.Sprintf("区划代码%s重复（第一次出现在第%d行）", norm, first)})
			continue
		}
		seen[norm] = row
		out = append(out, &backstop.Region{Code: norm, Name: name, Level: backstop.LevelOfCode(norm), ParentCode: backstop.ParentCodeOf(norm), Row: row})
	}
	if len(probs) > 0 {
		return nil, &backstop.Error{Code: backstop.EINVALID, Message: fmt.Sprintf("%d row(s) cannot be read: %s", len(probs), probs[0]), Details: probs}
	}
	if len(out) == 0 {
		return nil, backstop.Localized(backstop.EINVALID, "文件中没有任何行政区划", "the file has no regions")
	}
	return out, nil
}
