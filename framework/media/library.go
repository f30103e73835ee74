package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/quarry-go/quarry/dialects"
	"github.com/quarry-go/quarry/framework/storage"
	"github.com/quarry-go/quarry/queries"
)

// Get returns the media with id, whatever its status, with its tags.
func (s *Service) Get(ctx context.Context, h dialects.Handle, id int64) (Media, error) {
	row, err := q(h).MediaGet(ctx, id)
	if err != nil {
		return Media{}, notFound(err, "media", id)
	}
	m := fromRow(row)
	links, err := q(h).MediaTagLinksBetween(ctx, queries.MediaTagLinksBetweenParams{MinID: id, MaxID: id})
	if err != nil {
		return Media{}, err
	}
	for _, l := range links {
		m.Tags = append(m.Tags, l.Name)
	}
	return m, nil
}

// ListOptions filter and page a list of media.
type ListOptions struct {
	// Status is the status listed; default Ready.
	Status Status
	// CollectionID, when set, lists that collection's media only.
	CollectionID int64
	// Tag, when set, lists the media carrying that tag only.
	Tag string
	// Type, when set, is a media type ("image/png") or a family
	// ("image").
	Type string
	// Search, when set, is text the file name holds, in any case.
	Search string
	// Before pages: the media with ids below it (a Page's Next); 0 starts
	// at the newest.
	Before int64
	// Limit is the page size: default 50, at most MaxPageSize.
	Limit int
}

// MaxPageSize is the largest page List returns.
const MaxPageSize = 100

// Page is a page of media, newest first.
type Page struct {
	Items []Media
	// Next is the ListOptions.Before of the next page; 0 on the last.
	Next int64
}

// typeFilter is what ListOptions.Type may be.
var typeFilter = regexp.MustCompile(`^[a-z0-9][a-z0-9.+-]*(/[a-z0-9][a-z0-9.+-]*)?$`)

// List returns a page of media, newest first, with their tags.
func (s *Service) List(ctx context.Context, h dialects.Handle, o ListOptions) (Page, error) {
	p := queries.MediaListParams{Status: string(o.Status), BeforeID: o.Before, CollectionID: o.CollectionID,
		TypePattern: "%", Search: strings.ToLower(o.Search)}
	switch {
	case p.Status == "":
		p.Status = string(Ready)
	case !slices.Contains([]Status{Pending, Ready, Deleted}, o.Status):
		return Page{}, fmt.Errorf("%w: status %q (want pending, ready or deleted)", ErrInvalid, o.Status)
	}
	if o.Before < 0 || o.CollectionID < 0 {
		return Page{}, fmt.Errorf("%w: negative id", ErrInvalid)
	}
	if p.BeforeID == 0 {
		p.BeforeID = 1<<63 - 1
	}
	limit := o.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > MaxPageSize:
		return Page{}, fmt.Errorf("%w: page size %d (1 to %d)", ErrInvalid, limit, MaxPageSize)
	}
	if o.Type != "" {
		t := strings.ToLower(o.Type)
		if !typeFilter.MatchString(t) {
			return Page{}, fmt.Errorf("%w: type %q (want a media type such as image/png, or a family such as image)", ErrInvalid, o.Type)
		}
		if !strings.Contains(t, "/") {
			t += "/%"
		}
		p.TypePattern = t
	}
	if !utf8.ValidString(o.Search) || utf8.RuneCountInString(o.Search) > 100 {
		return Page{}, fmt.Errorf("%w: the search is not UTF-8 or longer than 100 characters", ErrInvalid)
	}
	if o.Tag != "" {
		tags, err := normalizeTags([]string{o.Tag})
		if err != nil {
			return Page{}, err
		}
		tag, err := q(h).MediaTagGetByName(ctx, tags[0])
		if errors.Is(err, queries.ErrNotFound) {
			return Page{}, nil
		}
		if err != nil {
			return Page{}, err
		}
		p.TagID = tag.ID
	}
	rows, err := q(h).MediaList(ctx, p)
	if err != nil {
		return Page{}, err
	}
	var page Page
	if len(rows) > limit {
		rows = rows[:limit]
		page.Next = rows[limit-1].ID
	}
	if len(rows) == 0 {
		return page, nil
	}
	tags, err := s.tagsOf(ctx, h, rows)
	if err != nil {
		return Page{}, err
	}
	for _, r := range rows {
		m := fromRow(r)
		m.Tags = tags[m.ID]
		page.Items = append(page.Items, m)
	}
	return page, nil
}

// tagsOf reads the tags of a page of media: those of every id in the
// page's range in one query when the page fills most of its range, else
// one query per media (a filtered page can span a wide range of ids).
func (s *Service) tagsOf(ctx context.Context, h dialects.Handle, rows []queries.QuarryMedia) (map[int64][]string, error) {
	lo, hi := rows[len(rows)-1].ID, rows[0].ID
	ranges := [][2]int64{{lo, hi}}
	if hi-lo >= 4*int64(len(rows)) {
		ranges = ranges[:0]
		for _, r := range rows {
			ranges = append(ranges, [2]int64{r.ID, r.ID})
		}
	}
	tags := map[int64][]string{}
	for _, rg := range ranges {
		links, err := q(h).MediaTagLinksBetween(ctx, queries.MediaTagLinksBetweenParams{MinID: rg[0], MaxID: rg[1]})
		if err != nil {
			return nil, fmt.Errorf("media: reading tags: %w", err)
		}
		for _, l := range links {
			tags[l.MediaID] = append(tags[l.MediaID], l.Name)
		}
	}
	return tags, nil
}

// Change is an edit of a ready media: the fields set are changed.
type Change struct {
	Filename *string
	AltText  *string
	Public   *bool
	// CollectionID moves the media (0: out of any collection).
	CollectionID *int64
	// Tags replaces the media's tags.
	Tags *[]string
}

// Update renames, describes, publishes, moves or tags a ready media.
func (s *Service) Update(ctx context.Context, h dialects.Handle, id int64, c Change) (Media, error) {
	m, err := s.Get(ctx, h, id)
	if err != nil {
		return Media{}, err
	}
	if m.Status != Ready {
		return Media{}, fmt.Errorf("%w: media %d is %s", ErrNotFound, id, m.Status)
	}
	if c.Filename != nil {
		if strings.TrimSpace(*c.Filename) == "" {
			return Media{}, fmt.Errorf("%w: the file name is empty", ErrInvalid)
		}
		m.Filename = NormalizeFilename(*c.Filename)
	}
	if c.AltText != nil {
		if err := checkAlt(*c.AltText); err != nil {
			return Media{}, err
		}
		m.AltText = *c.AltText
	}
	if c.Public != nil {
		m.Public = *c.Public
	}
	if c.CollectionID != nil {
		if *c.CollectionID < 0 {
			return Media{}, fmt.Errorf("%w: collection %d", ErrInvalid, *c.CollectionID)
		}
		m.CollectionID = *c.CollectionID
	}
	var tags []string
	if c.Tags != nil {
		if tags, err = normalizeTags(*c.Tags); err != nil {
			return Media{}, err
		}
	}
	n, err := q(h).MediaUpdate(ctx, queries.MediaUpdateParams{ID: id, Filename: m.Filename, AltText: m.AltText,
		IsPublic: m.Public, CollectionID: nullID(m.CollectionID), Now: s.now()})
	switch {
	case errors.Is(err, queries.ErrForeignKeyViolation):
		return Media{}, fmt.Errorf("%w: no collection %d", ErrInvalid, m.CollectionID)
	case err != nil:
		return Media{}, err
	case n == 0:
		return Media{}, fmt.Errorf("%w: media %d was deleted meanwhile", ErrNotFound, id)
	}
	if c.Tags != nil {
		if err := s.setTags(ctx, h, id, tags); err != nil {
			return Media{}, err
		}
	}
	return s.Get(ctx, h, id)
}

// Delete soft-deletes a ready media: it leaves the lists, and the purge
// removes it and its objects after Options.DeletedRetention unless it is
// restored first.
func (s *Service) Delete(ctx context.Context, h dialects.Handle, id int64) error {
	now := s.now()
	n, err := q(h).MediaMarkDeleted(ctx, queries.MediaMarkDeletedParams{ID: id, DeletedAt: nullTime(now), Now: now})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: no ready media %d", ErrNotFound, id)
	}
	return nil
}

// Restore brings a deleted media back before the purge.
func (s *Service) Restore(ctx context.Context, h dialects.Handle, id int64) error {
	n, err := q(h).MediaRestore(ctx, queries.MediaRestoreParams{ID: id, Now: s.now()})
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: no deleted media %d", ErrNotFound, id)
	}
	return nil
}

// URL returns where a browser can fetch a ready media: the disk's public
// URL for public media on a disk that has one, otherwise a signed URL
// valid for Options.URLTTL.
func (s *Service) URL(ctx context.Context, m Media) (string, error) {
	return s.objectURL(ctx, m, m.Key)
}

// objectURL is URL for one of the media's objects.
func (s *Service) objectURL(ctx context.Context, m Media, key string) (string, error) {
	if m.Status != Ready {
		return "", fmt.Errorf("%w: media %d is %s", ErrNotFound, m.ID, m.Status)
	}
	if err := s.checkKey(ctx, m); err != nil {
		return "", err
	}
	disk, err := s.disk(m.Disk)
	if err != nil {
		return "", err
	}
	if m.Public {
		u, err := disk.PublicURL(key)
		if err == nil || !errors.Is(err, storage.ErrUnsupported) {
			return u, err
		}
	}
	return disk.PresignGet(ctx, key, s.opts.URLTTL)
}

// Open reads a ready media's bytes (rng nil: all of them). The caller
// closes the reader.
func (s *Service) Open(ctx context.Context, m Media, rng *storage.Range) (io.ReadCloser, storage.Object, error) {
	if m.Status != Ready {
		return nil, storage.Object{}, fmt.Errorf("%w: media %d is %s", ErrNotFound, m.ID, m.Status)
	}
	if err := s.checkKey(ctx, m); err != nil {
		return nil, storage.Object{}, err
	}
	disk, err := s.disk(m.Disk)
	if err != nil {
		return nil, storage.Object{}, err
	}
	return disk.Get(ctx, m.Key, rng)
}

// Tag is a tag and its id.
type Tag struct {
	ID   int64
	Name string
}

// Tags lists every tag, by name.
func (s *Service) Tags(ctx context.Context, h dialects.Handle) ([]Tag, error) {
	rows, err := q(h).MediaTagList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Tag, len(rows))
	for i, r := range rows {
		out[i] = Tag{ID: r.ID, Name: r.Name}
	}
	return out, nil
}

// DeleteTag removes a tag from every media that carries it.
func (s *Service) DeleteTag(ctx context.Context, h dialects.Handle, id int64) error {
	n, err := q(h).MediaTagDelete(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: tag %d", ErrNotFound, id)
	}
	return nil
}

// setTags makes tags (normalised) the media's tags.
func (s *Service) setTags(ctx context.Context, h dialects.Handle, id int64, tags []string) error {
	qs := q(h)
	have, err := qs.MediaTagLinksBetween(ctx, queries.MediaTagLinksBetweenParams{MinID: id, MaxID: id})
	if err != nil {
		return err
	}
	for _, l := range have {
		if !slices.Contains(tags, l.Name) {
			if _, err := qs.MediaTagLinkRemove(ctx, queries.MediaTagLinkRemoveParams{MediaID: id, TagID: l.TagID}); err != nil {
				return err
			}
		}
	}
	for _, name := range tags {
		if slices.ContainsFunc(have, func(l queries.MediaTagLinksBetweenRow) bool { return l.Name == name }) {
			continue
		}
		if err := qs.MediaTagEnsure(ctx, name); err != nil {
			return err
		}
		tag, err := qs.MediaTagGetByName(ctx, name)
		if err != nil {
			return err
		}
		if err := qs.MediaTagLinkAdd(ctx, queries.MediaTagLinkAddParams{MediaID: id, TagID: tag.ID}); err != nil {
			return err
		}
	}
	return nil
}

// MaxTags is the most tags a media carries.
const MaxTags = 50

// normalizeTags lower-cases, trims and de-duplicates tags, each 1 to 100
// characters without control characters or commas.
func normalizeTags(tags []string) ([]string, error) {
	out := []string{}
	for _, t := range tags {
		t = strings.ToLower(strings.Join(strings.Fields(t), " "))
		switch {
		case t == "":
			return nil, fmt.Errorf("%w: an empty tag", ErrInvalid)
		case !utf8.ValidString(t) || utf8.RuneCountInString(t) > 100:
			return nil, fmt.Errorf("%w: tag %q is not UTF-8 or longer than 100 characters", ErrInvalid, t)
		case strings.ContainsFunc(t, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == ',' }):
			return nil, fmt.Errorf("%w: tag %q holds a comma, or a control or invisible formatting character", ErrInvalid, t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxTags {
		return nil, fmt.Errorf("%w: %d tags, at most %d", ErrInvalid, len(out), MaxTags)
	}
	slices.Sort(out)
	return out, nil
}

// Collection is a folder of media, possibly inside another.
type Collection struct {
	ID        int64
	ParentID  int64 // 0: at the top
	Name      string
	CreatedAt time.Time
}

// Collections lists every collection, by name.
func (s *Service) Collections(ctx context.Context, h dialects.Handle) ([]Collection, error) {
	rows, err := q(h).MediaCollectionList(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Collection, len(rows))
	for i, r := range rows {
		out[i] = Collection{ID: r.ID, ParentID: r.ParentID.Int64, Name: r.Name, CreatedAt: r.CreatedAt.UTC()}
	}
	return out, nil
}

// MaxCollectionDepth is how deep collections nest (MySQL cascades a
// delete through at most 15 levels).
const MaxCollectionDepth = 10

// CreateCollection makes a collection named name inside parentID (0: at
// the top), at most MaxCollectionDepth deep.
func (s *Service) CreateCollection(ctx context.Context, h dialects.Handle, parentID int64, name string) (Collection, error) {
	name, err := collectionName(name)
	if err != nil {
		return Collection{}, err
	}
	if parentID != 0 {
		all, err := s.Collections(ctx, h)
		if err != nil {
			return Collection{}, err
		}
		if d := depth(all, parentID); d >= MaxCollectionDepth {
			return Collection{}, fmt.Errorf("%w: collections nest at most %d deep", ErrInvalid, MaxCollectionDepth)
		}
	}
	now := s.now()
	id, err := q(h).MediaCollectionCreate(ctx, queries.MediaCollectionCreateParams{ParentID: nullID(parentID), Name: name, Now: now})
	if errors.Is(err, queries.ErrForeignKeyViolation) {
		return Collection{}, fmt.Errorf("%w: no collection %d", ErrInvalid, parentID)
	}
	if err != nil {
		return Collection{}, err
	}
	return Collection{ID: id, ParentID: parentID, Name: name, CreatedAt: now}, nil
}

// UpdateCollection renames a collection and moves it inside parentID (0:
// at the top); it may not move inside itself.
func (s *Service) UpdateCollection(ctx context.Context, h dialects.Handle, id, parentID int64, name string) (Collection, error) {
	name, err := collectionName(name)
	if err != nil {
		return Collection{}, err
	}
	all, err := s.Collections(ctx, h)
	if err != nil {
		return Collection{}, err
	}
	parents := map[int64]int64{}
	var c Collection
	for _, x := range all {
		parents[x.ID] = x.ParentID
		if x.ID == id {
			c = x
		}
	}
	if c.ID == 0 {
		return Collection{}, fmt.Errorf("%w: collection %d", ErrNotFound, id)
	}
	for p, hops := parentID, 0; p != 0; p, hops = parents[p], hops+1 {
		if p == id || hops > len(all) {
			return Collection{}, fmt.Errorf("%w: collection %d cannot move inside itself", ErrInvalid, id)
		}
		if _, ok := parents[p]; !ok {
			return Collection{}, fmt.Errorf("%w: no collection %d", ErrInvalid, p)
		}
	}
	if depth(all, parentID)+height(all, id) > MaxCollectionDepth {
		return Collection{}, fmt.Errorf("%w: collections nest at most %d deep", ErrInvalid, MaxCollectionDepth)
	}
	n, err := q(h).MediaCollectionUpdate(ctx, queries.MediaCollectionUpdateParams{ID: id, ParentID: nullID(parentID), Name: name})
	switch {
	case errors.Is(err, queries.ErrForeignKeyViolation):
		return Collection{}, fmt.Errorf("%w: no collection %d", ErrInvalid, parentID)
	case err != nil:
		return Collection{}, err
	case n == 0:
		return Collection{}, fmt.Errorf("%w: collection %d", ErrNotFound, id)
	}
	c.ParentID, c.Name = parentID, name
	return c, nil
}

// DeleteCollection deletes a collection and those inside it; their media
// stay, in no collection.
func (s *Service) DeleteCollection(ctx context.Context, h dialects.Handle, id int64) error {
	n, err := q(h).MediaCollectionDelete(ctx, id)
	if err != nil {
		return err
	}
	if n == 0 {
		return fmt.Errorf("%w: collection %d", ErrNotFound, id)
	}
	return nil
}

// depth is how many collections id is inside, itself included (0 for
// the top).
func depth(all []Collection, id int64) int {
	parents := map[int64]int64{}
	for _, c := range all {
		parents[c.ID] = c.ParentID
	}
	n := 0
	for p := id; p != 0 && n <= len(all); p = parents[p] {
		n++
	}
	return n
}

// height is how many levels the collection id and those inside it take.
func height(all []Collection, id int64) int {
	h := 1
	for _, c := range all {
		if c.ParentID == id && c.ID != id {
			h = max(h, 1+height(all, c.ID))
		}
	}
	return h
}

// collectionName checks and tidies a collection's name.
func collectionName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	switch {
	case name == "":
		return "", fmt.Errorf("%w: the collection name is empty", ErrInvalid)
	case !utf8.ValidString(name) || utf8.RuneCountInString(name) > 200:
		return "", fmt.Errorf("%w: the collection name is not UTF-8 or longer than 200 characters", ErrInvalid)
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '/' }):
		return "", fmt.Errorf("%w: the collection name holds a / or a control character", ErrInvalid)
	}
	return name, nil
}
