package editor

import (
	"errors"
	"fmt"
)

// VS Code setting keys sbx sets, and the names of what it adds.
const (
	ProfilesKey       = "terminal.integrated.profiles.linux"
	DefaultProfileKey = "terminal.integrated.defaultProfile.linux"
	ProfileName       = "sbx"
	TaskLabel         = "sbx: make"
)

// vscodeProfile is the terminal profile: VS Code starts terminals in the
// workspace folder, so `sbx shell` finds the project from there.
var vscodeProfile = object{
	{"path", "sbx"},
	{"args", []string{"shell"}},
	{"icon", "vm"},
}

// vscodeTask runs make in the machine; $gcc turns the compiler's messages
// into problems whose paths open directly (same paths inside and out).
var vscodeTask = object{
	{"label", TaskLabel},
	{"type", "process"},
	{"command", "sbx"},
	{"args", []string{"run", "make"}},
	{"options", object{{"cwd", "${workspaceFolder}"}}},
	{"group", object{{"kind", "build"}, {"isDefault", true}}},
	{"problemMatcher", []string{"$gcc"}},
}

var (
	vscodeSettings = object{
		{ProfilesKey, object{{ProfileName, vscodeProfile}}},
		{DefaultProfileKey, ProfileName},
	}
	vscodeTasks = object{
		{"version", "2.0.0"},
		{"tasks", []any{vscodeTask}},
	}
)

// ErrNotObject says a file or setting has a shape sbx will not guess about.
var ErrNotObject = errors.New("not a JSON object")

// MergeVSCodeSettings returns settings.json (JSONC) with the sbx terminal
// profile added. It becomes the default profile only where the file names
// no other default: a terminal.integrated.defaultProfile.linux the user
// chose is kept (MergeVSCodeSettingsDefault replaces it). Every other key,
// comment and line is kept as it was; an sbx profile that is there already
// is replaced, so running it twice changes nothing the second time. An
// empty src gives a new file.
func MergeVSCodeSettings(src []byte) ([]byte, error) { return mergeSettings(src, false) }

// MergeVSCodeSettingsDefault is MergeVSCodeSettings that also makes the
// sbx profile the default, replacing the user's (sbx editor --default).
func MergeVSCodeSettingsDefault(src []byte) ([]byte, error) { return mergeSettings(src, true) }

// OtherDefaultProfile returns the default terminal profile settings.json
// names when it is not sbx's ("" when none is set, or it is sbx).
func OtherDefaultProfile(src []byte) string {
	n, err := parseJSONC(stripBOM(src))
	if err != nil || n == nil || n.kind != '{' {
		return ""
	}
	if v := n.lookup(DefaultProfileKey); v != nil && v.kind == '"' && v.str != ProfileName {
		return v.str
	} else if v != nil && v.kind != '"' {
		return string(src[v.start:v.end])
	}
	return ""
}

func mergeSettings(src []byte, makeDefault bool) ([]byte, error) {
	d := newDoc(src)
	root, err := d.rootObject()
	if err != nil {
		return nil, err
	}
	if root == nil {
		return d.fresh(vscodeSettings), nil
	}
	if profiles := root.lookup(ProfilesKey); profiles == nil {
		d.setMember(root, ProfilesKey, object{{ProfileName, vscodeProfile}})
	} else if profiles.kind != '{' {
		return nil, fmt.Errorf("%q is %w", ProfilesKey, ErrNotObject)
	} else {
		d.setMember(profiles, ProfileName, vscodeProfile)
	}
	if root, err = d.root(); err != nil {
		return nil, fmt.Errorf("internal error: the merged file does not parse: %w", err)
	}
	if makeDefault || root.lookup(DefaultProfileKey) == nil {
		d.setMember(root, DefaultProfileKey, ProfileName)
	}
	return d.checked()
}

// MergeVSCodeTasks returns tasks.json (JSONC) with the "sbx: make" task in
// its tasks list: appended, or replacing a task with that label. Other tasks
// and keys are kept as they were.
func MergeVSCodeTasks(src []byte) ([]byte, error) {
	d := newDoc(src)
	root, err := d.rootObject()
	if err != nil {
		return nil, err
	}
	if root == nil {
		return d.fresh(vscodeTasks), nil
	}
	tasks := root.lookup("tasks")
	switch {
	case tasks == nil:
		d.setMember(root, "tasks", []any{vscodeTask})
	case tasks.kind != '[':
		return nil, fmt.Errorf(`"tasks" is not a JSON array`)
	default:
		if old := taskLabelled(tasks, TaskLabel); old != nil {
			d.replace(old, vscodeTask)
		} else {
			d.appendElem(tasks, vscodeTask)
		}
	}
	if root, err = d.root(); err != nil {
		return nil, fmt.Errorf("internal error: the merged file does not parse: %w", err)
	}
	if root.lookup("version") == nil {
		d.setMember(root, "version", "2.0.0")
	}
	return d.checked()
}

func taskLabelled(tasks *node, label string) *node {
	for _, t := range tasks.elems {
		if t.kind == '{' {
			if l := t.lookup("label"); l != nil && l.kind == '"' && l.str == label {
				return t
			}
		}
	}
	return nil
}

// rootObject parses the file, which must be empty or hold an object.
func (d *doc) rootObject() (*node, error) {
	root, err := d.root()
	if err != nil {
		return nil, err
	}
	if root != nil && root.kind != '{' {
		return nil, fmt.Errorf("the top-level value is %w", ErrNotObject)
	}
	return root, nil
}

// fresh appends v as the whole content to a file that has nothing but
// blanks and comments (kept).
func (d *doc) fresh(v any) []byte {
	if len(d.src) > 0 && d.src[len(d.src)-1] != '\n' {
		d.src = append(d.src, d.nl...)
	}
	d.src = append(d.src, d.format(v, "")+d.nl...)
	return d.bytes()
}

// checked returns the edited file after parsing it once more: a merge
// never hands back a file that does not parse.
func (d *doc) checked() ([]byte, error) {
	if _, err := parseJSONC(d.src); err != nil {
		return nil, fmt.Errorf("internal error: the merged file does not parse: %w", err)
	}
	return d.bytes(), nil
}
