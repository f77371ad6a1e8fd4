using System.Runtime.CompilerServices;

namespace JitVirt.Vmx;

/// <summary>Launch state of a VMCS (SDM vol.3C §25.1, Figure 25-1).</summary>
public enum VmcsLaunchState : ulong { Clear = 0, Launched = 1 }

/// <summary>
/// A VMCS region in host memory (SDM vol.3C §25.2): dword 0 the revision identifier (bits 30:0),
/// dword 1 the VMX-abort indicator, then implementation-specific data. JitVirt's layout, which
/// software must not rely on: qword 1 holds the launch state, qword 2 onwards one qword per field
/// in the slot <see cref="SlotOf"/> gives it. Only the processor model touches the slots; the VMM
/// goes through VMREAD/VMWRITE.
/// </summary>
public static class Vmcs
{
    public const int RevisionOffset = 0, AbortIndicatorOffset = 4;
    const int LaunchStateWord = 1, FirstFieldWord = 2;

    /// <summary>Slot per (width, type, index) key, −1 for an unsupported field.</summary>
    static readonly short[] Slots = BuildSlots();

    static short[] BuildSlots()
    {
        var slots = new short[1 << 13];
        Array.Fill(slots, (short)-1);
        short next = FirstFieldWord;
        foreach (uint e in VmcsField.All) slots[Key(e)] = next++;
        return slots;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int Key(uint encoding) => (int)(((encoding >> 13) & 3) << 11 | ((encoding >> 10) & 3) << 9 | ((encoding >> 1) & 0x1FF));

    /// <summary>The storage word of a supported field's full encoding, or −1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SlotOf(uint encoding) => (encoding & 0xFFFF_9000) != 0 ? -1 : Slots[Key(encoding)];

    public static uint RevisionId(ulong[] region) => (uint)region[0] & 0x7FFF_FFFF;
    public static void SetRevisionId(ulong[] region, uint id) => region[0] = (region[0] & 0xFFFF_FFFF_0000_0000) | (id & 0x7FFF_FFFF);
    public static uint AbortIndicator(ulong[] region) => (uint)(region[0] >> 32);
    public static void SetAbortIndicator(ulong[] region, uint value) => region[0] = (uint)region[0] | ((ulong)value << 32);
    public static VmcsLaunchState LaunchState(ulong[] region) => (VmcsLaunchState)region[LaunchStateWord];
    public static void SetLaunchState(ulong[] region, VmcsLaunchState state) => region[LaunchStateWord] = (ulong)state;
}
