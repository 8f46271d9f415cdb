package dispatch

import (
	"context"
	"sort"

	"github.com/zhangye-backstop/backstop"
)

// Templates lists the message templates.
func (s *Service) Templates(ctx context.Context) ([]*backstop.MessageTemplate, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	items, err := s.Store.FindTemplates(ctx)
	if items == nil {
		items = []*backstop.MessageTemplate{}
	}
	return items, err
}

// SaveTemplate creates (ID 0) or replaces a template after checking its
// placeholders.
func (s *Service) SaveTemplate(ctx context.Context, t *backstop.MessageTemplate) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManageReach); err != nil {
		return err
	}
	return s.Store.SaveTemplate(ctx, t)
}

// TemplatePreview is a rendered template with its SMS length.
type TemplatePreview struct {
	Text       string `json:"text"`
	Characters int    `json:"characters"`
	Segments   int    `json:"sms_segments"`
}

// PreviewTemplate renders a template with a warning's values (warningID
// given) or sample values, and counts its SMS segments with the signature.
func (s *Service) PreviewTemplate(ctx context.Context, text string, warningID int64) (*TemplatePreview, error) {
	s.defaults()
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	if err := backstop.ValidateTemplate(text); err != nil {
		return nil, err
	}
	fields := backstop.TemplateFields{"hazard": "暴雨", "level": backstop.LevelText(backstop.WarningOrange), "area": "甘州区、临泽县", "time": "07-15 08:00至07-16 08:00",
		"action": "请远离河道和低洼地。", "hotline": s.Hotline, "sender": s.SenderName}
	if warningID != 0 {
		f, err := s.Fields(ctx, warningID)
		if err != nil {
			return nil, err
		}
		fields = f
	}
	out := backstop.RenderTemplate(text, fields)
	signed := out
	if s.SignName != "" {
		signed = "【" + s.SignName + "】" + out
	}
	return &TemplatePreview{Text: out, Characters: len([]rune(signed)), Segments: backstop.SMSSegments(signed)}, nil
}

// MaskContact hides a contact's phone and a robot's key.
func MaskContact(c *backstop.Contact) {
	c.Phone = backstop.MaskPhone(c.Phone)
	if c.Kind == backstop.ContactWeComGroup && len(c.Address) > 8 {
		c.Address = c.Address[:len(c.Address)-8] + "********"
	}
}

// Contacts lists the contacts of a kind ("" for all) in the user's region,
// masked.
func (s *Service) Contacts(ctx context.Context, kind string) ([]*backstop.Contact, error) {
	if _, err := backstop.Authorize(ctx, backstop.PermReadWarnings); err != nil {
		return nil, err
	}
	items, err := s.Store.FindContacts(ctx, kind)
	for _, c := range items {
		MaskContact(c)
	}
	if items == nil {
		items = []*backstop.Contact{}
	}
	return items, err
}

// CreateContact stores a contact inside the user's region.
func (s *Service) CreateContact(ctx context.Context, c *backstop.Contact) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManageReach); err != nil {
		return err
	}
	c.ID = 0
	return s.Store.CreateContacts(ctx, c)
}

// DeleteContact removes a contact in the user's region.
func (s *Service) DeleteContact(ctx context.Context, id int64) error {
	if _, err := backstop.Authorize(ctx, backstop.PermManageReach); err != nil {
		return err
	}
	return s.Store.DeleteContact(ctx, id)
}

// ChannelView says whether a channel is configured and where it sends.
type ChannelView struct {
	Channel    string `json:"channel"`
	Configured bool   `json:"configured"`
	Target     string `json:"target,omitempty"`
}

// ChannelViews lists every channel with its configuration, configured
// ones first; for the operator's log at start.
func (s *Service) ChannelViews() []ChannelView {
	out := []ChannelView{}
	for _, ch := range backstop.Channels {
		v := ChannelView{Channel: ch}
		if snd, ok := s.Senders[ch]; ok {
			v.Configured, v.Target = true, snd.Describe()
		}
		out = append(out, v)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Configured && !out[j].Configured })
	return out
}

// Channels lists the channels for a user: which are configured, and
// where they send for those who manage channels (gateway addresses are not
// for everyone).
func (s *Service) Channels(ctx context.Context) ([]ChannelView, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadWarnings)
	if err != nil {
		return nil, err
	}
	out := s.ChannelViews()
	if !u.Can(backstop.PermManageChannel) {
		for i := range out {
			out[i].Target = ""
		}
	}
	return out, nil
}

// TemplateFor returns the template the user's release of the warning would
// use by default: that of the release's region (see releaseRegion).
func (s *Service) TemplateFor(ctx context.Context, w *backstop.Warning) (*backstop.MessageTemplate, error) {
	u, err := backstop.Authorize(ctx, backstop.PermReadWarnings)
	if err != nil {
		return nil, err
	}
	e, err := s.Store.FindExposure(ctx, w.ID)
	if err != nil {
		e = &backstop.Exposure{}
	}
	return s.Store.TemplateFor(ctx, releaseRegion(u, e), w.Hazard, w.Level)
}

// releaseRegion is the region a user's release of a warning speaks to,
// whose templates it uses: the smallest region holding the villages it
// reaches (the exposure within the user's region), else the user's region.
// A city officer's release of a warning over one county uses that
// county's own template.
func releaseRegion(u *backstop.User, e *backstop.Exposure) string {
	if len(e.ByVillage) == 0 {
		return u.Region
	}
	codes := make([]string, len(e.ByVillage))
	for i, v := range e.ByVillage {
		codes[i] = v.Code
	}
	region := backstop.CommonRegion(codes...)
	if !u.InScope(region) {
		return u.Region
	}
	return region
}
