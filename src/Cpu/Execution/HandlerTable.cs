using Iced.Intel;
using JitVirt.Cpu.Semantics;

namespace JitVirt.Cpu.Execution;

/// <summary>
/// The dispatch table: one handler per Iced <see cref="Code"/> (the decoder's own identifier for
/// an instruction form). Each instruction family registers its forms from its own file; a form
/// nobody registered raises #UD in the guest and is counted by mnemonic.
/// </summary>
public static unsafe class HandlerTable
{
    /// <summary>Number of <see cref="Code"/> values (Iced's enum is dense from 0).</summary>
    public static readonly int CodeCount = Enum.GetValues<Code>().Max(c => (int)c) + 1;

    public static readonly delegate*<Cpu, in Instruction, void>[] Handlers = new delegate*<Cpu, in Instruction, void>[CodeCount];
    static readonly bool[] Implemented = new bool[CodeCount];

    static HandlerTable()
    {
        for (int i = 0; i < Handlers.Length; i++) Handlers[i] = &Unimplemented;
        foreach (var register in Families.All) register();
    }

    /// <summary>Forces the static constructor (call once before timing-sensitive work).</summary>
    public static void EnsureInitialized() { }

    public static void Set(Code code, delegate*<Cpu, in Instruction, void> handler)
    {
        Handlers[(int)code] = handler;
        Implemented[(int)code] = true;
    }

    public static bool IsImplemented(Code code) => Implemented[(int)code];

    /// <summary>Every legacy-encoded form of <paramref name="mnemonic"/> that exists in some mode.</summary>
    public static IEnumerable<Code> FormsOf(Mnemonic mnemonic)
    {
        for (int c = 1; c < CodeCount; c++)
        {
            var code = (Code)c;
            if (code.Mnemonic() != mnemonic) continue;
            var op = code.ToOpCode();
            if (op.Encoding != EncodingKind.Legacy || !op.IsInstruction) continue;
            yield return code;
        }
    }

    static void Unimplemented(Cpu cpu, in Instruction i)
    {
        cpu.CountUnimplemented(i.Mnemonic);
        cpu.RaiseInvalidOpcode();
    }
}
