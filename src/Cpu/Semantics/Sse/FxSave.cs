using System.Buffers.Binary;
using System.Runtime.Intrinsics;
using Iced.Intel;
using JitVirt.Cpu.Execution;
using JitVirt.Cpu.Memory;

namespace JitVirt.Cpu.Semantics.Sse;

/// <summary>
/// FXSAVE/FXRSTOR (SDM vol.1 §10.5.1, Tables 10-2 and 10-3; vol.2 FXSAVE): the 512-byte x87, MMX
/// and SSE state image, in the legacy layout (32-bit FIP/FDP with FCS/FDS) or, with REX.W, the
/// 64-bit layout (64-bit FIP/FDP). XMM8–15 are present in 64-bit mode only.
/// </summary>
static unsafe class FxSave
{
    public const int Size = 512;

    public static void Register()
    {
        HandlerTable.Set(Code.Fxsave_m512byte, &Save);
        HandlerTable.Set(Code.Fxsave64_m512byte, &Save);
        HandlerTable.Set(Code.Fxrstor_m512byte, &Restore);
        HandlerTable.Set(Code.Fxrstor64_m512byte, &Restore);
    }

    /// <summary>#NM when CR0.EM or CR0.TS (SDM vol.2 FXSAVE, protected-mode exceptions); then the segment, alignment (#GP(0)) and page checks for all 512 bytes.</summary>
    static bool Resolve(Cpu cpu, in Instruction i, AccessKind kind, out ulong linear)
    {
        linear = 0;
        if ((cpu.Cr0 & (State.Cr0.EM | State.Cr0.TS)) != 0) { cpu.RaiseFault(ExceptionVector.DeviceNotAvailable); return false; }
        return cpu.TryVectorLinear(i, Size, aligned: true, kind, out linear);
    }

    static void Save(Cpu cpu, in Instruction i)
    {
        if (!Resolve(cpu, i, AccessKind.Write, out ulong linear)) return;
        Span<byte> image = stackalloc byte[Size];
        Build(cpu, image, i.Code == Code.Fxsave64_m512byte);
        Store(cpu, linear, image[..WrittenBytes(cpu)]);
    }

    /// <summary>
    /// The bytes FXSAVE writes: the header, the eight register slots and the XMM registers of the
    /// mode (SDM vol.2A FXSAVE Tables 3-53/3-56). The rest is reserved (after XMM7 or XMM15) or
    /// available to software (464–511: "the processor does not write" them) and is left as it was,
    /// as the host oracle shows hardware does for bytes 416–511 in 64-bit mode.
    /// </summary>
    static int WrittenBytes(Cpu cpu) => 160 + 16 * (cpu.Is64BitMode ? 16 : 8);

    static void Restore(Cpu cpu, in Instruction i)
    {
        if (!Resolve(cpu, i, AccessKind.Read, out ulong linear)) return;
        Span<byte> image = stackalloc byte[Size];
        if (!Load(cpu, linear, image)) return;
        uint mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(image[24..]);
        if ((mxcsr & ~Cpu.MxcsrMask) != 0) { cpu.RaiseGeneralProtection(0); return; }
        Apply(cpu, image, i.Code == Code.Fxrstor64_m512byte);
    }

    /// <summary>Fills <paramref name="image"/> with the FXSAVE layout of the current state.</summary>
    public static void Build(Cpu cpu, Span<byte> image, bool rexW)
    {
        image.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(image[0..], cpu.Fcw);
        BinaryPrimitives.WriteUInt16LittleEndian(image[2..], cpu.Fsw);
        image[4] = cpu.FpuTagValid;
        BinaryPrimitives.WriteUInt16LittleEndian(image[6..], cpu.FpuOpcode);
        if (rexW)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(image[8..], cpu.FpuIp);
            BinaryPrimitives.WriteUInt64LittleEndian(image[16..], cpu.FpuDp);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(image[8..], (uint)cpu.FpuIp);
            BinaryPrimitives.WriteUInt16LittleEndian(image[12..], cpu.FpuCs);
            BinaryPrimitives.WriteUInt32LittleEndian(image[16..], (uint)cpu.FpuDp);
            BinaryPrimitives.WriteUInt16LittleEndian(image[20..], cpu.FpuDs);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(image[24..], cpu.Mxcsr);
        BinaryPrimitives.WriteUInt32LittleEndian(image[28..], Cpu.MxcsrMask);
        int top = cpu.FpuTop;
        for (int st = 0; st < 8; st++)
        {
            int phys = (top + st) & 7;
            BinaryPrimitives.WriteUInt64LittleEndian(image[(32 + 16 * st)..], cpu.FpuSignificand[phys]);
            BinaryPrimitives.WriteUInt16LittleEndian(image[(40 + 16 * st)..], cpu.FpuSignExponent[phys]);
        }
        int xmms = cpu.Is64BitMode ? 16 : 8;
        for (int x = 0; x < xmms; x++) cpu.Xmm[x].CopyTo(image[(160 + 16 * x)..]);
    }

    /// <summary>Loads the state from an FXSAVE image (MXCSR already validated).</summary>
    public static void Apply(Cpu cpu, ReadOnlySpan<byte> image, bool rexW)
    {
        // FCW and FSW as FLDENV loads them (the host oracle shows FXRSTOR does the same).
        cpu.Fcw = Cpu.FcwAsLoaded(BinaryPrimitives.ReadUInt16LittleEndian(image[0..]));
        cpu.Fsw = BinaryPrimitives.ReadUInt16LittleEndian(image[2..]);
        cpu.UpdateFpuErrorSummary();
        cpu.FpuTagValid = image[4];
        cpu.FpuOpcode = (ushort)(BinaryPrimitives.ReadUInt16LittleEndian(image[6..]) & 0x7FF);
        if (rexW)
        {
            cpu.FpuIp = BinaryPrimitives.ReadUInt64LittleEndian(image[8..]);
            cpu.FpuDp = BinaryPrimitives.ReadUInt64LittleEndian(image[16..]);
            cpu.FpuCs = cpu.FpuDs = 0;
        }
        else
        {
            cpu.FpuIp = BinaryPrimitives.ReadUInt32LittleEndian(image[8..]);
            cpu.FpuCs = BinaryPrimitives.ReadUInt16LittleEndian(image[12..]);
            cpu.FpuDp = BinaryPrimitives.ReadUInt32LittleEndian(image[16..]);
            cpu.FpuDs = BinaryPrimitives.ReadUInt16LittleEndian(image[20..]);
        }
        cpu.Mxcsr = BinaryPrimitives.ReadUInt32LittleEndian(image[24..]);
        int top = cpu.FpuTop;
        for (int st = 0; st < 8; st++)
        {
            int phys = (top + st) & 7;
            cpu.FpuSignificand[phys] = BinaryPrimitives.ReadUInt64LittleEndian(image[(32 + 16 * st)..]);
            cpu.FpuSignExponent[phys] = BinaryPrimitives.ReadUInt16LittleEndian(image[(40 + 16 * st)..]);
        }
        int xmms = cpu.Is64BitMode ? 16 : 8;
        for (int x = 0; x < xmms; x++) cpu.Xmm[x] = Vector128.Create<byte>(image.Slice(160 + 16 * x, 16));
    }

    /// <summary>Writes a byte image to a linear range that has been probed for writing.</summary>
    public static void Store(Cpu cpu, ulong linear, ReadOnlySpan<byte> image)
    {
        bool user = cpu.Cpl == 3;
        int k = 0;
        for (; k + 8 <= image.Length; k += 8) cpu.WriteLinear(Wrap(cpu, linear + (ulong)k), BinaryPrimitives.ReadUInt64LittleEndian(image[k..]), user);
        for (; k < image.Length; k++) cpu.WriteLinear(Wrap(cpu, linear + (ulong)k), image[k], user);
    }

    /// <summary>Reads a byte image; returns false after a fault.</summary>
    public static bool Load(Cpu cpu, ulong linear, Span<byte> image)
    {
        bool user = cpu.Cpl == 3;
        int k = 0;
        for (; k + 8 <= image.Length; k += 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(image[k..], cpu.ReadLinear<ulong>(Wrap(cpu, linear + (ulong)k), user));
            if (cpu.Faulted) return false;
        }
        for (; k < image.Length; k++)
        {
            image[k] = cpu.ReadLinear<byte>(Wrap(cpu, linear + (ulong)k), user);
            if (cpu.Faulted) return false;
        }
        return true;
    }

    static ulong Wrap(Cpu cpu, ulong linear) => cpu.Is64BitMode ? linear : linear & 0xFFFF_FFFF;
}
