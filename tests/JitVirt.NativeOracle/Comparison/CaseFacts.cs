using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>
/// What may be compared after a case: the defined-flags mask (from <see cref="DefinedFlags"/>, with the
/// operand size, masked count and source taken from the instruction and the initial state), and the
/// destination to ignore when the manual leaves the result undefined.
/// </summary>
public readonly record struct CaseFacts(
    ulong DefinedFlagMask,
    bool ResultUndefined,
    int UndefinedRegister,
    ulong UndefinedMemoryAddress,
    int UndefinedMemoryLength)
{
    /// <summary>No GPR is ignored.</summary>
    public const int NoRegister = -1;

    /// <summary>Works out the facts for <paramref name="testCase"/>.</summary>
    public static CaseFacts For(OracleCase testCase)
    {
        var instruction = testCase.Instruction;
        var initial = testCase.Initial;
        var mnemonic = instruction.Mnemonic;
        int size = OperandSizeBits(instruction);

        int maskedCount = 0;
        if (DefinedFlags.IsCountDependent(mnemonic))
        {
            int countOperand = mnemonic is Mnemonic.Shld or Mnemonic.Shrd ? 2 : 1;
            ulong raw = instruction.GetOpKind(countOperand) == OpKind.Register
                ? initial.Gpr[GprIndex.Rcx] & 0xFF
                : instruction.GetImmediate(countOperand);
            maskedCount = DefinedFlags.MaskCount(raw, size);
        }

        ulong source = 0;
        if (mnemonic is Mnemonic.Bsf or Mnemonic.Bsr)
            source = instruction.Op1Kind == OpKind.Register
                ? RegisterFile.Read(initial, instruction.Op1Register)
                : ReadMemory(initial, testCase.Layout, EffectiveAddress(instruction, initial, testCase.Mode), size / 8);

        ulong defined = DefinedFlags.Defined(mnemonic, size, maskedCount);
        bool undefinedResult = DefinedFlags.UndefinedResult(mnemonic, size, maskedCount, source);
        if (!undefinedResult) return new CaseFacts(defined, false, NoRegister, 0, 0);
        if (instruction.Op0Kind == OpKind.Register)
            return new CaseFacts(defined, true, RegisterFile.Number(instruction.Op0Register), 0, 0);
        return new CaseFacts(defined, true, NoRegister, EffectiveAddress(instruction, initial, testCase.Mode), size / 8);
    }

    /// <summary>Operand size in bits of the first operand (register or memory), 0 if it has neither.</summary>
    public static int OperandSizeBits(in Instruction instruction)
    {
        if (instruction.OpCount == 0) return 0;
        return instruction.Op0Kind switch
        {
            OpKind.Register => instruction.Op0Register.GetSize() * 8,
            OpKind.Memory => instruction.MemorySize.GetSize() * 8,
            _ => 0,
        };
    }

    /// <summary>The linear address of <paramref name="instruction"/>'s memory operand in <paramref name="state"/>
    /// (flat segments, as both modes use here): base + index × scale + displacement, wrapped to the address size.</summary>
    public static ulong EffectiveAddress(in Instruction instruction, OracleState state, ExecutionMode mode)
    {
        int addressBits = instruction.MemoryBase != Register.None ? instruction.MemoryBase.GetSize() * 8
            : instruction.MemoryIndex != Register.None ? instruction.MemoryIndex.GetSize() * 8
            : mode == ExecutionMode.Long64 ? 64 : 32;
        ulong address = instruction.MemoryDisplacement64;
        if (instruction.MemoryBase != Register.None) address += RegisterFile.Read(state, instruction.MemoryBase);
        if (instruction.MemoryIndex != Register.None)
            address += RegisterFile.Read(state, instruction.MemoryIndex) * (ulong)instruction.MemoryIndexScale;
        return address & RegisterFile.WidthMask(addressBits);
    }

    private static ulong ReadMemory(OracleState state, OracleLayout layout, ulong address, int bytes)
    {
        if (!layout.IsInScratch(address, bytes)) return 1; // outside scratch: unknown, treat as non-zero
        int offset = (int)(address - layout.ScratchAddress);
        ulong value = 0;
        for (int b = bytes - 1; b >= 0; b--) value = (value << 8) | state.Scratch[offset + b];
        return value;
    }
}
