package machine

import "context"

// BindMount mounts host path src at dst inside the running machine name
// (machined's BindMountMachine), creating dst when mkdir is set. It is
// how a Bind= added to a .sandbox takes effect without a restart.
func (b *Bus) BindMount(ctx context.Context, name, src, dst string, readOnly, mkdir bool) error {
	err := b.machined().CallWithContext(ctx, machinedMgr+".BindMountMachine", 0, name, src, dst, readOnly, mkdir).Err
	return explain(err, "binding "+src+" into machine "+name)
}
