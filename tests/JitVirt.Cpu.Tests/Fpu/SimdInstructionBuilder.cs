using Iced.Intel;
using JitVirt.NativeOracle;

namespace JitVirt.Cpu.Tests.Fpu;

/// <summary>
/// Fills the operands of one legacy MMX/SSE/SSE2 form with random registers, an imm8, or a memory
/// operand [RBX+disp] (RBX holds the scratch block's address), and encodes and formats instructions
/// for both SIMD corpora.
/// </summary>
public static class SimdInstructionBuilder
{
    static readonly Register[] Xmms = Enumerable.Range(0, 16).Select(k => Register.XMM0 + k).ToArray();
    static readonly Register[] Mms = Enumerable.Range(0, 8).Select(k => Register.MM0 + k).ToArray();

    /// <summary>GPRs a random operand may use: not RSP (the stack) and not RBX (the memory base).</summary>
    public static readonly Register[] Gpr64 = { Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.RDI, Register.R8, Register.R9, Register.R10, Register.R11, Register.R12, Register.R13, Register.R14, Register.R15 };

    /// <summary>The operand kinds both corpora can place.</summary>
    public static bool IsPlaceable(OpCodeOperandKind kind) => kind is
        OpCodeOperandKind.mm_reg or OpCodeOperandKind.mm_rm or OpCodeOperandKind.mm_or_mem or
        OpCodeOperandKind.xmm_reg or OpCodeOperandKind.xmm_rm or OpCodeOperandKind.xmm_or_mem or
        OpCodeOperandKind.r32_reg or OpCodeOperandKind.r64_reg or OpCodeOperandKind.r32_rm or OpCodeOperandKind.r64_rm or
        OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem or
        OpCodeOperandKind.imm8 or OpCodeOperandKind.mem or OpCodeOperandKind.seg_rDI;

    public static bool IsMmxKind(OpCodeOperandKind kind) => kind is OpCodeOperandKind.mm_reg or OpCodeOperandKind.mm_rm or OpCodeOperandKind.mm_or_mem;

    /// <summary>True when the form names an r/m operand that can be a register or memory.</summary>
    public static bool HasRegisterOrMemory(OpCodeInfo op) => Enumerable.Range(0, op.OpCount).Any(k => op.GetOpKind(k) is
        OpCodeOperandKind.xmm_or_mem or OpCodeOperandKind.mm_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem);

    public static bool HasMemoryOnly(OpCodeInfo op) => Enumerable.Range(0, op.OpCount).Any(k => op.GetOpKind(k) == OpCodeOperandKind.mem);

    /// <summary>
    /// The instruction with random operands: memory operands at [RBX+<paramref name="displacement"/>];
    /// an implicit DS:rDI operand (MASKMOVQ/MASKMOVDQU) as RDI or, one time in four, EDI (67h prefix).
    /// </summary>
    public static Instruction Create(SimdOracleForm form, int displacement, Random rng)
    {
        var op = form.Code.ToOpCode();
        var ins = new Instruction { Code = form.Code };
        for (int k = 0; k < op.OpCount; k++)
        {
            var kind = op.GetOpKind(k);
            bool memHere = kind == OpCodeOperandKind.mem || (form.Memory && kind is OpCodeOperandKind.xmm_or_mem or OpCodeOperandKind.mm_or_mem or OpCodeOperandKind.r32_or_mem or OpCodeOperandKind.r64_or_mem);
            if (memHere)
            {
                ins.SetOpKind(k, OpKind.Memory);
                ins.MemoryBase = Register.RBX;
                ins.MemoryDisplacement64 = (ulong)displacement;
                ins.MemoryDisplSize = 8;
                continue;
            }
            switch (kind)
            {
                case OpCodeOperandKind.seg_rDI:
                    ins.SetOpKind(k, rng.Next(4) == 0 ? OpKind.MemorySegEDI : OpKind.MemorySegRDI);
                    break;
                case OpCodeOperandKind.imm8:
                    ins.SetOpKind(k, OpKind.Immediate8);
                    ins.Immediate8 = (byte)(rng.Next(4) == 0 ? rng.Next(0, 20) : rng.Next(rng.Next(3) == 0 ? 70 : 256));
                    break;
                case OpCodeOperandKind.xmm_reg: case OpCodeOperandKind.xmm_rm: case OpCodeOperandKind.xmm_or_mem:
                    ins.SetOpKind(k, OpKind.Register);
                    ins.SetOpRegister(k, Xmms[rng.Next(rng.Next(3) == 0 ? 16 : 3)]);
                    break;
                case OpCodeOperandKind.mm_reg: case OpCodeOperandKind.mm_rm: case OpCodeOperandKind.mm_or_mem:
                    ins.SetOpKind(k, OpKind.Register);
                    ins.SetOpRegister(k, Mms[rng.Next(rng.Next(3) == 0 ? 8 : 3)]);
                    break;
                default:
                {
                    var r = Gpr64[rng.Next(Gpr64.Length)];
                    bool is32 = kind is OpCodeOperandKind.r32_reg or OpCodeOperandKind.r32_rm or OpCodeOperandKind.r32_or_mem;
                    ins.SetOpKind(k, OpKind.Register);
                    ins.SetOpRegister(k, is32 ? r.GetFullRegister32() : r);
                    break;
                }
            }
        }
        return ins;
    }

    /// <summary>
    /// A memory displacement from RBX (the scratch block): mostly <paramref name="aligned"/> as given,
    /// one time in eight misaligned by up to <paramref name="alignment"/> - 1 bytes, one in twenty-five
    /// ending up to 15 bytes before the end of the block (a wider access crosses into the guard page:
    /// #PF, and nothing may be stored), one in fifty inside the guard page itself.
    /// </summary>
    public static int Displacement(Random rng, OracleLayout layout, int aligned, int alignment) => rng.Next(50) switch
    {
        0 => layout.ScratchSize + rng.Next(0, 64),
        1 or 2 => layout.ScratchSize - rng.Next(1, 16),
        _ => aligned + (rng.Next(8) == 0 ? rng.Next(1, alignment) : 0),
    };

    /// <summary>Encodes <paramref name="instructions"/> one after the other for 64-bit mode at <paramref name="address"/>.</summary>
    public static byte[] Encode(ulong address, params Instruction[] instructions)
    {
        var writer = new BytesWriter();
        var encoder = Encoder.Create(64, writer);
        ulong ip = address;
        foreach (var ins in instructions)
        {
            if (!encoder.TryEncode(ins, ip, out uint length, out string? error))
                throw new InvalidOperationException($"{ins.Code}: {error}");
            ip += length;
        }
        return writer.Bytes.ToArray();
    }

    public static string Format(in Instruction ins)
    {
        var text = new StringOutput();
        new NasmFormatter().Format(ins, text);
        return text.ToString();
    }

    sealed class BytesWriter : CodeWriter
    {
        public readonly List<byte> Bytes = new();
        public override void WriteByte(byte value) => Bytes.Add(value);
    }
}
