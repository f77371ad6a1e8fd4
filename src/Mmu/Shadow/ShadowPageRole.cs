using JitVirt.Mmu.Walker;
using Cr4Bits = JitVirt.Cpu.State.Cr4;
using EferBits = JitVirt.Cpu.State.Efer;

namespace JitVirt.Mmu.Shadow;

/// <summary>
/// The paging controls a shadow root's entries were computed under (KVM: union kvm_mmu_page_role):
/// the paging mode, CR4.PSE (32-bit paging 4-MByte pages, SDM vol.3 §5.3) and IA32_EFER.NXE
/// (XD is a control bit or a reserved bit, SDM vol.3 §5.6). A root is reused only under the same
/// role. CR0.WP is not part of it: rights are checked against the current CR0.WP on every hit.
/// </summary>
public readonly record struct ShadowPageRole(PagingMode Mode, bool PageSizeExtensions, bool ExecuteDisable)
{
    public static ShadowPageRole Of(in PagingContext context) =>
        new(context.Mode, (context.Cr4 & Cr4Bits.PSE) != 0, (context.Efer & EferBits.NXE) != 0);
}
