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
/// <see cref="Host"/> or branches to the caller's slow path. What the test takes from the
/// processor besides the address — the read and write tables of the current privilege, the TLB
/// generation, whether alignment checking is possible — lives in locals filled by
/// <see cref="EmitRefresh"/>: inline code cannot change any of it (CPL, RFLAGS.AC, CR0.AM and TLB
/// flushes all go through helpers), so the body refills them only at its entry and after each
/// helper or slow path.
/// </summary>
sealed class TlbFastPath
{
    readonly ILGenerator _il;
    readonly RegisterLocals _regs;
    readonly LocalBuilder _user, _tlb, _entry, _alignmentCheck, _readTable, _writeTable, _generation;

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
        _alignmentCheck = il.DeclareLocal(typeof(bool));
        _readTable = il.DeclareLocal(typeof(SoftwareTlb.Entry[]));
        _writeTable = il.DeclareLocal(typeof(SoftwareTlb.Entry[]));
        _generation = il.DeclareLocal(typeof(ulong));
    }

    /// <summary>
    /// Fills the probe's locals from the processor: user = CPL 3 (SDM vol.3 §5.6: the user
    /// tables); alignment checking possible = CPL 3 with RFLAGS.AC and CR0.AM (SDM vol.3 §7.15
    /// "Interrupt 17"); the read and write tables for that privilege; the TLB generation.
    /// </summary>
    public void EmitRefresh()
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Call, Members.GetCpl);
        _il.Emit(OpCodes.Ldc_I4_3);
        _il.Emit(OpCodes.Ceq);
        _il.Emit(OpCodes.Stloc, _user);

        _il.Emit(OpCodes.Ldloc, _user);
        EmitBitSet(Members.RflagsStatic, Rflags.AC);
        _il.Emit(OpCodes.And);
        EmitBitSet(Members.Cr0, Cr0.AM);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Stloc, _alignmentCheck);

        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, Members.Tlb);
        _il.Emit(OpCodes.Stloc, _tlb);
        EmitTable(AccessKind.Read, _readTable);
        EmitTable(AccessKind.Write, _writeTable);
        _il.Emit(OpCodes.Ldloc, _tlb);
        _il.Emit(OpCodes.Ldfld, Members.TlbGeneration);
        _il.Emit(OpCodes.Stloc, _generation);
    }

    /// <summary>Pushes (cpu.field &amp; bit) != 0 as int32 0/1.</summary>
    void EmitBitSet(System.Reflection.FieldInfo field, ulong bit)
    {
        _il.Emit(OpCodes.Ldarg_0);
        _il.Emit(OpCodes.Ldfld, field);
        _il.Emit(OpCodes.Ldc_I8, (long)bit);
        _il.Emit(OpCodes.And);
        _il.Emit(OpCodes.Ldc_I8, 0L);
        _il.Emit(OpCodes.Cgt_Un);
    }

    void EmitTable(AccessKind kind, LocalBuilder table)
    {
        _il.Emit(OpCodes.Ldloc, _tlb);
        _il.Emit(OpCodes.Ldc_I4, (int)kind);
        _il.Emit(OpCodes.Ldloc, _user);
        _il.Emit(OpCodes.Call, Members.TlbTable);
        _il.Emit(OpCodes.Stloc, table);
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

        // alignment checking possible (refreshed with the tables): the handler decides
        _il.Emit(OpCodes.Ldloc, _alignmentCheck);
        _il.Emit(OpCodes.Brtrue, slow);

        // ref entry = ref table[SoftwareTlb.IndexOf(linear)], the table of the kind for the current privilege
        if (kind is not (AccessKind.Read or AccessKind.Write)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "the fast path reads and writes data only");
        _il.Emit(OpCodes.Ldloc, kind == AccessKind.Read ? _readTable : _writeTable);
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
        _il.Emit(OpCodes.Ldloc, _generation);
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
