using System.Reflection.Emit;
using Iced.Intel;
using JitVirt.Cpu.Memory;
using JitVirt.Cpu.State;
using CpuT = JitVirt.Cpu.Cpu;
using Label = System.Reflection.Emit.Label;

namespace JitVirt.IlJit;

/// <summary>
/// The inline software-TLB access of <see cref="MemoryEmitter"/>: the linear address of a 64-bit
/// memory operand into <see cref="Linear"/>, and the hit test that leaves the host address in
/// <see cref="Host"/> or branches to the caller's slow path.
/// </summary>
sealed class TlbFastPath
{
    readonly ILGenerator _il;
    readonly RegisterLocals _regs;
    readonly LocalBuilder _user, _tlb, _entry;

    /// <summary>The linear address of the access (ulong).</summary>
    public readonly LocalBuilder Linear;
    /// <summary>After a hit: the host address of <see cref="Linear"/> (nint).</summary>
    public readonly LocalBuilder Host;

    public TlbFastPath(ILGenerator il, RegisterLocals regs)
    {
        _il = il; _regs = regs;
        Linear = il.DeclareLocal(typeof(ulong));
        Host = il.DeclareLocal(typeof(nint));
        _user = il.DeclareLocal(typeof(bool));
        _tlb = il.DeclareLocal(typeof(SoftwareTlb));
        _entry = il.DeclareLocal(typeof(SoftwareTlb.Entry).MakeByRefType());
    }


    /// <summary>Branches to <paramref name="slow"/> unless (long)value &lt;&lt; 16 &gt;&gt; 16 == value (canonical, SDM vol.1 §3.3.7.1).</summary>
    public void EmitCanonicalOrSlow(LocalBuilder value, Label slow)
    {
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Ldc_I4, 16);
        _il.Emit(OpCodes.Shl);
        _il.Emit(OpCodes.Ldc_I4, 16);
        _il.Emit(OpCodes.Shr);
        _il.Emit(OpCodes.Ldloc, value);
        _il.Emit(OpCodes.Bne_Un, slow);
    }

    /// <summary>
    /// Linear ← disp + base + index·scale (RIP-relative: + CodeDelta, as Cpu.EffectiveAddress
    /// relocates it) + the FS/GS base; 64-bit address size, so nothing is truncated (SDM vol.1 §3.7.5).
    /// </summary>
    public void EmitEffectiveLinear(in Instruction i)
    {
        _il.Emit(OpCodes.Ldc_I8, unchecked((long)i.MemoryDisplacement64));
        var b = i.MemoryBase;
        if (b == Register.RIP)
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, Members.CodeDelta);
            _il.Emit(OpCodes.Add);
        }
        else if (b != Register.None)
        {
            _il.Emit(OpCodes.Ldloc, _regs.Of(b));
            _il.Emit(OpCodes.Add);
        }
        if (i.MemoryIndex != Register.None)
        {
            _il.Emit(OpCodes.Ldloc, _regs.Of(i.MemoryIndex));
            if (i.MemoryIndexScale != 1)
            {
                _il.Emit(OpCodes.Ldc_I4, BitOperationsLog2(i.MemoryIndexScale));
                _il.Emit(OpCodes.Shl);
            }
            _il.Emit(OpCodes.Add);
        }
        int seg = CpuT.MemorySegment(i);
        if (seg is SegmentIndex.Fs or SegmentIndex.Gs)
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldfld, Members.Segments);
            _il.Emit(OpCodes.Ldc_I4, seg);
            _il.Emit(OpCodes.Ldelema, typeof(SegmentRegister));
            _il.Emit(OpCodes.Ldfld, Members.SegmentBase);
            _il.Emit(OpCodes.Add);
        }
        _il.Emit(OpCodes.Stloc, Linear);
    }

    static int BitOperationsLog2(int scale) => System.Numerics.BitOperations.Log2((uint)scale);

    /// <summary>
    /// The hit test of Cpu.ReadLinear/WriteLinear for <paramref name="size"/> bytes at Linear,
    /// plus the two checks Cpu.TryLinear makes first in 64-bit mode; on a hit Host is the host
    /// address, otherwise control goes to <paramref name="slow"/>:
    /// <list type="bullet">
    /// <item>non-canonical address (#GP/#SS, SDM vol.1 §3.3.7.1): the last byte is on the same
    /// page (tested below) and canonical boundaries are page boundaries, so the first byte decides;</item>
    /// <item>alignment checking possible — CPL 3 with CR0.AM and RFLAGS.AC (#AC, SDM vol.3 §7.15
    /// "Interrupt 17"): the handler decides;</item>
    /// <item>the table of the access kind for the current privilege (CPL 3: user, SDM vol.3 §5.6)
    /// misses, or holds a SlowPath entry;</item>
    /// <item>the access crosses into the next page.</item>
    /// </list>
    /// </summary>
    public void EmitProbe(AccessKind kind, int size, Label slow)
    {
        EmitCanonicalOrSlow(Linear, slow);

        // user = CPL == 3; alignment checking only at CPL 3 with AM and AC both set
        var noAlignmentCheck = _il.DefineLabel();
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Call, Members.GetCpl);
        _il.Emit(OpCodes.Ldc_I4_3);
        _il.Emit(OpCodes.Ceq);
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, _user);
        _il.Emit(OpCodes.Brfalse, noAlignmentCheck);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.RflagsStatic);
        _il.Emit(OpCodes.Ldc_I8, (long)Rflags.AC);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Brfalse, noAlignmentCheck);
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.Cr0);
        _il.Emit(OpCodes.Ldc_I8, (long)Cr0.AM);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Brtrue, slow);
        _il.MarkLabel(noAlignmentCheck);

        // ref entry = ref cpu.Tlb.Table(kind, user)[SoftwareTlb.IndexOf(linear)]
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.Tlb);
        _il.Emit(OpCodes.Dup);
        _il.Emit(OpCodes.Stloc, _tlb);
        _il.Emit(OpCodes.Ldc_I4, (int)kind);
        _il.Emit(OpCodes.Ldloc, _user);
        _il.Emit(OpCodes.Call, Members.TlbTable);
        _il.Emit(OpCodes.Ldloc, Linear);
        _il.Emit(OpCodes.Call, Members.TlbIndexOf);
        _il.Emit(OpCodes.Ldelema, typeof(SoftwareTlb.Entry));
        _il.Emit(OpCodes.Stloc, _entry);

        // entry.Tag == (linear & ~0xFFF) | tlb.Generation (a SlowPath entry never equals it)
        _il.Emit(OpCodes.Ldloc, _entry);
        _il.Emit(OpCodes.Ldfld, Members.EntryTag);
        _il.Emit(OpCodes.Ldloc, Linear);
        _il.Emit(OpCodes.Ldc_I8, ~0xFFFL);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Ldloc, _tlb);
        _il.Emit(OpCodes.Ldfld, Members.TlbGeneration);
        _il.Emit(OpCodes.Or);
        _il.Emit(OpCodes.Bne_Un, slow);

        // (linear & 0xFFF) <= 4096 - size: the whole access is on this page
        _il.Emit(OpCodes.Ldloc, Linear);
        _il.Emit(OpCodes.Ldc_I8, 0xFFFL);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Ldc_I8, 4096L - size);
        _il.Emit(OpCodes.Bgt_Un, slow);

        // host = entry.HostAddend + (nint)linear
        _il.Emit(OpCodes.Ldloc, _entry);
        _il.Emit(OpCodes.Ldfld, Members.EntryHostAddend);
        _il.Emit(OpCodes.Ldloc, Linear);
        _il.Emit(OpCodes.Conv_I);
        _il.Emit(OpCodes.Add);
        _il.Emit(OpCodes.Stloc, Host);
    }
}
