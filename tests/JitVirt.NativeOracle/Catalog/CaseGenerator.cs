using Iced.Intel;

namespace JitVirt.NativeOracle;

/// <summary>
/// Fills an <see cref="OracleState"/> and encodes one instruction for an <see cref="InstructionForm"/>
/// from a case seed. Values are biased to edge cases (<see cref="EdgeValues"/>); memory operands are
/// addressed through base (and sometimes index) registers so that the effective address lands inside
/// the scratch block; the operands a form's semantics depend on are then adjusted per mnemonic (shift
/// counts, non-faulting dividends most of the time, equal CMPXCHG comparands half of the time, BT bit
/// offsets that stay inside scratch, string pointers with room for the repeat count).
/// </summary>
internal sealed class CaseGenerator
{
    private const int MaxAttempts = 64;
    /// <summary>REP counts stay below this so a string instruction touches at most 16 × 8 bytes.</summary>
    private const int MaxRepeatCount = 17;
    /// <summary>Distance of string pointers from the scratch edges: room for MaxRepeatCount × 8 bytes.</summary>
    private const int StringMargin = 256;
    /// <summary>Bytes kept between a BT bit-offset access and the scratch edges (the CPU may access up to
    /// 4 bytes around the addressed bit for 16/32-bit operands: SDM vol. 2A BT, "may access 2 or 4 bytes").</summary>
    private const int BitTestMargin = 16;

    private readonly byte[] _scratchTemplate;
    private readonly byte[] _stackTemplate;

    private readonly OracleLayout _layout;
    private readonly ExecutionMode _mode;
    private readonly bool _long;
    private readonly BufferWriter _writer = new();
    private readonly Encoder _encoder;
    private SplitMix64 _random;

    public CaseGenerator(OracleLayout layout, ExecutionMode mode)
    {
        _layout = layout;
        _mode = mode;
        _long = mode == ExecutionMode.Long64;
        _encoder = Encoder.Create(_long ? 64 : 32, _writer);
        // Fixed background contents, so that memory the instruction should not touch is not all zero.
        _scratchTemplate = Pattern(layout.ScratchSize, 0x5A, 0x9D);
        _stackTemplate = Pattern(layout.StackSize, 0xC3, 0x3B);
    }

    public (byte[] Code, Instruction Instruction) Fill(InstructionForm form, ulong caseSeed, OracleState state)
    {
        string? lastError = null;
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            _random = new SplitMix64(SplitMix64.Mix(caseSeed, (ulong)attempt));
            var instruction = form.IsString ? BuildString(form, state) : BuildGeneric(form, state);
            ulong rip = _layout.CodeAddress(_mode);
            _writer.Reset();
            if (_encoder.TryEncode(instruction, rip, out uint length, out lastError))
            {
                instruction.IP = rip;
                instruction.Length = (int)length;
                return (_writer.ToArray(), instruction);
            }
            // e.g. AH together with a register that needs REX: pick other registers.
        }
        throw new InvalidOperationException($"Could not encode form {form.Name}: {lastError}");
    }

    // ---------------------------------------------------------------- common state

    private void RandomizeState(OracleState state, int width)
    {
        for (int i = 0; i < GprIndex.Count; i++)
        {
            ulong value = EdgeValues.Next(ref _random, width);
            state.Gpr[i] = _long ? value : (uint)value;
        }
        state.Gpr[GprIndex.Rsp] = _layout.InitialStackPointer;
        state.Rflags = (_random.Next() & X86Flags.Arithmetic) | (_random.OneIn(2) ? X86Flags.DF : 0) | X86Flags.Reserved1;
        // No catalogued form reads XMM registers; plain random values show that they are preserved.
        for (int i = 0; i < state.Xmm.Length; i++)
            state.Xmm[i] = new XmmRegister(_random.Next(), _random.Next());
        state.Mxcsr = OracleState.DefaultMxcsr;
        state.ClearOutcome();
        _scratchTemplate.CopyTo(state.Scratch, 0);
        _stackTemplate.CopyTo(state.Stack, 0);
        // What POP/POPAD read: [RSP, RSP + 64).
        int top = (int)(_layout.InitialStackPointer - _layout.StackAddress);
        for (int i = 0; i < 8 && top + 8 * i + 8 <= state.Stack.Length; i++)
            BitConverter.TryWriteBytes(state.Stack.AsSpan(top + 8 * i), EdgeValues.Next(ref _random, 32));
    }

    private static byte[] Pattern(int length, byte start, byte step)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++) bytes[i] = (byte)(start + step * i + (i >> 8) * 0x3B);
        return bytes;
    }

    // ---------------------------------------------------------------- generic forms

    private Instruction BuildGeneric(InstructionForm form, OracleState state)
    {
        var info = form.Code.ToOpCode();
        var mnemonic = form.Mnemonic;
        var instruction = new Instruction { Code = form.Code };
        int width = FormWidth(info, instruction);
        RandomizeState(state, width);

        int usedRegisters = 0; // bit per GPR number used by an explicit register operand
        int memoryOperand = -1;
        for (int i = 0; i < info.OpCount; i++)
        {
            var kind = info.GetOpKind(i);
            if (kind == OpCodeOperandKind.mem || (OperandKinds.IsRegisterOrMemory(kind) && form.UsesMemory))
            {
                memoryOperand = i;
                instruction.SetOpKind(i, OpKind.Memory);
                continue;
            }
            Register fixedRegister = kind switch
            {
                OpCodeOperandKind.al => Register.AL,
                OpCodeOperandKind.cl => Register.CL,
                OpCodeOperandKind.ax => Register.AX,
                OpCodeOperandKind.eax => Register.EAX,
                OpCodeOperandKind.rax => Register.RAX,
                _ => Register.None,
            };
            int registerWidth = OperandKinds.RegisterWidth(kind);
            if (fixedRegister != Register.None || registerWidth != 0)
            {
                // XCHG reg, AX with reg = AX would be encoded as 90h, which is NOP (SDM vol. 2C XCHG).
                bool avoidAccumulator = mnemonic == Mnemonic.Xchg && !form.UsesMemory && IsOpcodeRegister(kind);
                var register = fixedRegister != Register.None ? fixedRegister : PickRegister(registerWidth, avoidAccumulator);
                instruction.SetOpKind(i, OpKind.Register);
                instruction.SetOpRegister(i, register);
                usedRegisters |= 1 << RegisterFile.Number(register);
                continue;
            }
            SetImmediate(ref instruction, i, kind, mnemonic, width);
        }

        ulong memoryAddress = 0;
        if (memoryOperand >= 0)
            memoryAddress = BuildMemoryOperand(ref instruction, info, mnemonic, state, usedRegisters);

        AdjustOperands(ref instruction, info, mnemonic, state, width, memoryAddress);
        return instruction;
    }

    private static bool IsOpcodeRegister(OpCodeOperandKind kind) => kind is
        OpCodeOperandKind.r16_opcode or OpCodeOperandKind.r32_opcode or OpCodeOperandKind.r64_opcode;

    private static int FormWidth(OpCodeInfo info, in Instruction instruction)
    {
        for (int i = 0; i < info.OpCount; i++)
        {
            int w = OperandKinds.RegisterWidth(info.GetOpKind(i));
            if (w != 0) return w;
            if (info.GetOpKind(i) == OpCodeOperandKind.mem)
            {
                int size = instruction.MemorySize.GetSize();
                return size is 1 or 2 or 4 or 8 ? size * 8 : 64;
            }
        }
        return 32;
    }

    private Register PickRegister(int bits, bool avoidAccumulator)
    {
        while (true)
        {
            Register register;
            if (bits == 8 && (!_long || _random.OneIn(5)))
            {
                // Legacy byte registers AL CL DL BL AH CH DH BH (the only ones without REX).
                register = Register.AL + _random.Below(8);
            }
            else
            {
                int number = _random.Below(_long ? GprIndex.Count : GprIndex.LegacyCount);
                if (number == GprIndex.Rsp) continue; // RSP must keep pointing into the mapped stack
                register = RegisterFile.OfWidth(number, bits);
            }
            if (avoidAccumulator && RegisterFile.Number(register) == GprIndex.Rax) continue;
            return register;
        }
    }

    private void SetImmediate(ref Instruction instruction, int operand, OpCodeOperandKind kind, Mnemonic mnemonic, int width)
    {
        switch (kind)
        {
            case OpCodeOperandKind.imm8_const_1:
                instruction.SetOpKind(operand, OpKind.Immediate8);
                instruction.SetImmediate(operand, 1);
                break;
            case OpCodeOperandKind.imm8:
                instruction.SetOpKind(operand, OpKind.Immediate8);
                instruction.SetImmediate(operand, Immediate8For(mnemonic, width));
                break;
            case OpCodeOperandKind.imm8sex16:
                instruction.SetOpKind(operand, OpKind.Immediate8to16);
                instruction.SetImmediate(operand, (sbyte)EdgeValues.Next(ref _random, 8));
                break;
            case OpCodeOperandKind.imm8sex32:
                instruction.SetOpKind(operand, OpKind.Immediate8to32);
                instruction.SetImmediate(operand, (sbyte)EdgeValues.Next(ref _random, 8));
                break;
            case OpCodeOperandKind.imm8sex64:
                instruction.SetOpKind(operand, OpKind.Immediate8to64);
                instruction.SetImmediate(operand, (sbyte)EdgeValues.Next(ref _random, 8));
                break;
            case OpCodeOperandKind.imm16:
                instruction.SetOpKind(operand, OpKind.Immediate16);
                instruction.SetImmediate(operand, (ushort)EdgeValues.Next(ref _random, 16));
                break;
            case OpCodeOperandKind.imm32:
                instruction.SetOpKind(operand, OpKind.Immediate32);
                instruction.SetImmediate(operand, (uint)EdgeValues.Next(ref _random, 32));
                break;
            case OpCodeOperandKind.imm32sex64:
                instruction.SetOpKind(operand, OpKind.Immediate32to64);
                instruction.SetImmediate(operand, (long)(int)EdgeValues.Next(ref _random, 32));
                break;
            case OpCodeOperandKind.imm64:
                instruction.SetOpKind(operand, OpKind.Immediate64);
                instruction.SetImmediate(operand, EdgeValues.Next(ref _random, 64));
                break;
            default:
                throw new InvalidOperationException($"Unsupported operand kind {kind}.");
        }
    }

    private int Immediate8For(Mnemonic mnemonic, int width)
    {
        if (DefinedFlags.IsCountDependent(mnemonic)) return EdgeValues.Count(ref _random);
        if (mnemonic is Mnemonic.Aam or Mnemonic.Aad)
        {
            // Base 10 is the documented form (D4 0A / D5 0A); other bases are valid too, 0 makes AAM raise #DE.
            int pick = _random.Below(8);
            return pick < 4 ? 10 : pick == 4 ? 0 : (byte)_random.Next();
        }
        if (mnemonic is Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc)
            return _random.OneIn(2) ? _random.Below(width) : (byte)_random.Next();
        return (byte)EdgeValues.Next(ref _random, 8);
    }

    // ---------------------------------------------------------------- memory operands

    private ulong BuildMemoryOperand(ref Instruction instruction, OpCodeInfo info, Mnemonic mnemonic, OracleState state, int usedRegisters)
    {
        int size = instruction.MemorySize.GetSize();
        bool isLea = mnemonic == Mnemonic.Lea;
        bool bitOffsetInRegister = mnemonic is Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc
            && info.OpCount > 1 && OperandKinds.RegisterWidth(info.GetOpKind(1)) != 0;

        ulong target;
        if (isLea)
            target = EdgeValues.Next(ref _random, _long ? 64 : 32); // LEA only computes the address
        else if (bitOffsetInRegister)
            target = _layout.ScratchAddress + (ulong)_random.Between(_layout.ScratchSize * 3 / 8, _layout.ScratchSize * 5 / 8);
        else
            target = _layout.ScratchAddress + (ulong)ScratchOffset(size, mnemonic == Mnemonic.Cmpxchg16b ? 16 : 1);
        if (!_long) target = (uint)target;

        // Base (and index) registers come from those no explicit or implicit operand uses.
        int excluded = usedRegisters | (1 << GprIndex.Rax) | (1 << GprIndex.Rcx) | (1 << GprIndex.Rdx) | (1 << GprIndex.Rsp);
        if (mnemonic is Mnemonic.Cmpxchg8b or Mnemonic.Cmpxchg16b) excluded |= 1 << GprIndex.Rbx;
        int baseNumber = PickFree(excluded);
        excluded |= 1 << baseNumber;
        int indexNumber = _random.OneIn(3) ? PickFree(excluded) : -1;

        int scale = 1 << _random.Below(4);
        ulong indexValue = indexNumber < 0 ? 0 : isLea ? EdgeValues.Next(ref _random, _long ? 64 : 32) : (ulong)_random.Below(32);
        long displacement = _random.Below(3) switch
        {
            0 => 0,
            1 => (sbyte)_random.Next(),
            _ => (int)_random.Next(),
        };
        int displSize = displacement == 0 ? 0 : displacement is >= sbyte.MinValue and <= sbyte.MaxValue ? 1 : _long ? 8 : 4;
        ulong baseValue = target - (ulong)displacement - indexValue * (ulong)scale;
        if (!_long) { baseValue = (uint)baseValue; indexValue = (uint)indexValue; }

        int addressBits = _long ? 64 : 32;
        instruction.MemoryBase = RegisterFile.OfWidth(baseNumber, addressBits);
        instruction.MemoryIndex = indexNumber < 0 ? Register.None : RegisterFile.OfWidth(indexNumber, addressBits);
        instruction.MemoryIndexScale = indexNumber < 0 ? 1 : scale;
        instruction.MemoryDisplacement64 = _long ? (ulong)displacement : (uint)displacement;
        instruction.MemoryDisplSize = displSize;
        instruction.SegmentPrefix = Register.None;
        state.Gpr[baseNumber] = baseValue;
        if (indexNumber >= 0) state.Gpr[indexNumber] = indexValue;

        if (!isLea)
        {
            // The operand value itself, edge-biased for its width.
            int offset = (int)(target - _layout.ScratchAddress);
            for (int done = 0; done < size; done += 8)
            {
                ulong value = EdgeValues.Next(ref _random, Math.Min(size, 8) * 8);
                for (int b = 0; b < 8 && done + b < size; b++) state.Scratch[offset + done + b] = (byte)(value >> (8 * b));
            }
        }
        return target;
    }

    private int ScratchOffset(int size, int alignment)
    {
        int last = _layout.ScratchSize - size;
        int offset = _random.Below(8) switch
        {
            0 => 0,                                          // first bytes of the block
            1 => last,                                       // last bytes of the block
            2 or 3 => _random.Below(last + 1) & ~(size - 1), // naturally aligned
            _ => _random.Below(last + 1),                    // anything, often misaligned
        };
        return offset & ~(alignment - 1);
    }

    private int PickFree(int excluded)
    {
        int count = _long ? GprIndex.Count : GprIndex.LegacyCount;
        while (true)
        {
            int number = _random.Below(count);
            if ((excluded & (1 << number)) == 0) return number;
        }
    }

    // ---------------------------------------------------------------- per-mnemonic operand adjustments

    private void AdjustOperands(ref Instruction instruction, OpCodeInfo info, Mnemonic mnemonic, OracleState state, int width, ulong memoryAddress)
    {
        switch (mnemonic)
        {
            case Mnemonic.Shl or Mnemonic.Shr or Mnemonic.Sar or Mnemonic.Rol or Mnemonic.Ror or Mnemonic.Rcl or Mnemonic.Rcr
                or Mnemonic.Shld or Mnemonic.Shrd:
                // Count in CL: same edge counts as the imm8 forms.
                for (int i = 0; i < info.OpCount; i++)
                    if (info.GetOpKind(i) == OpCodeOperandKind.cl)
                        RegisterFile.Write(state, Register.CL, EdgeValues.Count(ref _random));
                break;
            case Mnemonic.Div or Mnemonic.Idiv:
                AdjustDividend(instruction, mnemonic, state, width, memoryAddress);
                break;
            case Mnemonic.Cmpxchg:
                if (_random.OneIn(2))
                    RegisterFile.Write(state, RegisterFile.Accumulator(width), ReadOperand(instruction, 0, state, width, memoryAddress));
                break;
            case Mnemonic.Cmpxchg8b or Mnemonic.Cmpxchg16b:
                if (_random.OneIn(2))
                {
                    int half = mnemonic == Mnemonic.Cmpxchg8b ? 4 : 8;
                    int offset = (int)(memoryAddress - _layout.ScratchAddress);
                    var accumulator = half == 4 ? Register.EAX : Register.RAX;
                    var high = half == 4 ? Register.EDX : Register.RDX;
                    RegisterFile.Write(state, accumulator, ReadScratch(state, offset, half));
                    RegisterFile.Write(state, high, ReadScratch(state, offset + half, half));
                }
                break;
            case Mnemonic.Bsf or Mnemonic.Bsr:
                if (_random.OneIn(4)) WriteOperand(instruction, 1, state, width, memoryAddress, 0);
                break;
            case Mnemonic.Bt or Mnemonic.Bts or Mnemonic.Btr or Mnemonic.Btc:
                if (instruction.Op0Kind == OpKind.Memory && instruction.Op1Kind == OpKind.Register)
                    PlaceBitOffset(instruction.Op1Register, state, width, memoryAddress);
                break;
        }
    }

    /// <summary>
    /// Most of the time make DIV/IDIV not fault: the high half of the dividend below the divisor (DIV)
    /// or the sign extension of the low half (IDIV), per SDM vol. 2A DIV/IDIV "#DE if the quotient is too
    /// large for the designated register". One case in eight keeps its random (usually faulting) dividend.
    /// </summary>
    private void AdjustDividend(in Instruction instruction, Mnemonic mnemonic, OracleState state, int width, ulong memoryAddress)
    {
        if (_random.OneIn(8)) return;
        if (instruction.Op0Kind == OpKind.Register)
        {
            int number = RegisterFile.Number(instruction.Op0Register);
            if (number is GprIndex.Rax or GprIndex.Rdx) return; // the divisor is part of the dividend
        }
        ulong divisor = ReadOperand(instruction, 0, state, width, memoryAddress);
        ulong mask = RegisterFile.WidthMask(width);
        var highRegister = width == 8 ? Register.AH : RegisterFile.OfWidth(GprIndex.Rdx, width);
        var lowRegister = RegisterFile.Accumulator(width);
        ulong high;
        if (mnemonic == Mnemonic.Div)
        {
            if (divisor == 0) return;
            high = (_random.Next() & mask) % divisor;
        }
        else
        {
            ulong low = RegisterFile.Read(state, lowRegister);
            high = (low & (1UL << (width - 1))) != 0 ? mask : 0;
        }
        RegisterFile.Write(state, highRegister, high);
    }

    private void PlaceBitOffset(Register offsetRegister, OracleState state, int width, ulong memoryAddress)
    {
        // SDM vol. 2A BT: with a register bit offset the operand may lie anywhere from -2^(n-1) to 2^(n-1)-1
        // bits around the address; keep the addressed word (plus margin) inside scratch.
        long offset = (long)(memoryAddress - _layout.ScratchAddress);
        long lowest = -(offset - BitTestMargin) * 8;
        long highest = (_layout.ScratchSize - offset - BitTestMargin) * 8 - 1;
        long bit = _random.Below(4) switch
        {
            0 => _random.Below(width),          // inside the addressed word
            1 => -1 - _random.Below(width),     // just below it
            _ => lowest + (long)(_random.Next() % (ulong)(highest - lowest + 1)),
        };
        ulong mask = RegisterFile.WidthMask(width);
        ulong value = (_random.Next() & ~mask) | ((ulong)bit & mask);
        RegisterFile.Write(state, RegisterFile.OfWidth(RegisterFile.Number(offsetRegister), 64), _long ? value : (uint)value);
    }

    private ulong ReadOperand(in Instruction instruction, int operand, OracleState state, int width, ulong memoryAddress) =>
        instruction.GetOpKind(operand) == OpKind.Register
            ? RegisterFile.Read(state, instruction.GetOpRegister(operand))
            : ReadScratch(state, (int)(memoryAddress - _layout.ScratchAddress), width / 8);

    private void WriteOperand(in Instruction instruction, int operand, OracleState state, int width, ulong memoryAddress, ulong value)
    {
        if (instruction.GetOpKind(operand) == OpKind.Register)
        {
            RegisterFile.Write(state, instruction.GetOpRegister(operand), value);
            return;
        }
        int offset = (int)(memoryAddress - _layout.ScratchAddress);
        for (int b = 0; b < width / 8; b++) state.Scratch[offset + b] = (byte)(value >> (8 * b));
    }

    private static ulong ReadScratch(OracleState state, int offset, int bytes)
    {
        ulong value = 0;
        for (int b = bytes - 1; b >= 0; b--) value = (value << 8) | state.Scratch[offset + b];
        return value;
    }

    // ---------------------------------------------------------------- string forms

    private Instruction BuildString(InstructionForm form, OracleState state)
    {
        int addressSize = form.StringAddressSize;
        var rep = form.RepPrefix;
        var instruction = form.Code switch
        {
            Code.Movsb_m8_m8 => Instruction.CreateMovsb(addressSize, Register.None, rep),
            Code.Movsw_m16_m16 => Instruction.CreateMovsw(addressSize, Register.None, rep),
            Code.Movsd_m32_m32 => Instruction.CreateMovsd(addressSize, Register.None, rep),
            Code.Movsq_m64_m64 => Instruction.CreateMovsq(addressSize, Register.None, rep),
            Code.Lodsb_AL_m8 => Instruction.CreateLodsb(addressSize, Register.None, rep),
            Code.Lodsw_AX_m16 => Instruction.CreateLodsw(addressSize, Register.None, rep),
            Code.Lodsd_EAX_m32 => Instruction.CreateLodsd(addressSize, Register.None, rep),
            Code.Lodsq_RAX_m64 => Instruction.CreateLodsq(addressSize, Register.None, rep),
            Code.Stosb_m8_AL => Instruction.CreateStosb(addressSize, rep),
            Code.Stosw_m16_AX => Instruction.CreateStosw(addressSize, rep),
            Code.Stosd_m32_EAX => Instruction.CreateStosd(addressSize, rep),
            Code.Stosq_m64_RAX => Instruction.CreateStosq(addressSize, rep),
            Code.Cmpsb_m8_m8 => Instruction.CreateCmpsb(addressSize, Register.None, rep),
            Code.Cmpsw_m16_m16 => Instruction.CreateCmpsw(addressSize, Register.None, rep),
            Code.Cmpsd_m32_m32 => Instruction.CreateCmpsd(addressSize, Register.None, rep),
            Code.Cmpsq_m64_m64 => Instruction.CreateCmpsq(addressSize, Register.None, rep),
            Code.Scasb_AL_m8 => Instruction.CreateScasb(addressSize, rep),
            Code.Scasw_AX_m16 => Instruction.CreateScasw(addressSize, rep),
            Code.Scasd_EAX_m32 => Instruction.CreateScasd(addressSize, rep),
            Code.Scasq_RAX_m64 => Instruction.CreateScasq(addressSize, rep),
            _ => throw new InvalidOperationException($"Not a string form: {form.Code}"),
        };
        int element = instruction.MemorySize.GetSize();
        RandomizeState(state, element * 8);
        bool down = (state.Rflags & X86Flags.DF) != 0;

        int count = rep == RepPrefixKind.None ? -1 : _random.Below(4) switch { 0 => 0, 1 => 1, _ => _random.Below(MaxRepeatCount) };
        int source = _random.Between(StringMargin, _layout.ScratchSize - StringMargin);
        int destination = _random.Between(StringMargin, _layout.ScratchSize - StringMargin);
        // Garbage above bit 31 of RSI/RDI/RCX must be ignored (and cleared on update) with 32-bit addressing.
        ulong garbage = addressSize == 32 && _long && _random.OneIn(2) ? _random.Next() << 32 : 0;
        state.Gpr[GprIndex.Rsi] = (_layout.ScratchAddress + (ulong)source) | garbage;
        state.Gpr[GprIndex.Rdi] = (_layout.ScratchAddress + (ulong)destination) | garbage;
        if (count >= 0) state.Gpr[GprIndex.Rcx] = (uint)count | garbage;

        var mnemonic = form.Mnemonic;
        if (mnemonic is Mnemonic.Cmpsb or Mnemonic.Cmpsw or Mnemonic.Cmpsd or Mnemonic.Cmpsq
            or Mnemonic.Scasb or Mnemonic.Scasw or Mnemonic.Scasd or Mnemonic.Scasq && _random.OneIn(2))
        {
            // Make the compared elements equal so REPE runs on (and REPNE stops), then maybe break one.
            int elements = Math.Max(count, 1);
            bool scan = form.Code is Code.Scasb_AL_m8 or Code.Scasw_AX_m16 or Code.Scasd_EAX_m32 or Code.Scasq_RAX_m64;
            for (int e = 0; e < elements; e++)
            {
                int at = destination + (down ? -e : e) * element;
                for (int b = 0; b < element; b++)
                {
                    int from = source + (down ? -e : e) * element + b;
                    state.Scratch[at + b] = scan ? (byte)(state.Gpr[GprIndex.Rax] >> (8 * b)) : state.Scratch[from];
                }
            }
            if (_random.OneIn(2))
            {
                int e = _random.Below(elements);
                state.Scratch[destination + (down ? -e : e) * element + _random.Below(element)] ^= (byte)(1 << _random.Below(8));
            }
        }
        return instruction;
    }

    /// <summary>A CodeWriter over a reusable buffer.</summary>
    private sealed class BufferWriter : CodeWriter
    {
        private readonly byte[] _buffer = new byte[32];
        private int _length;

        public void Reset() => _length = 0;

        public byte[] ToArray() => _buffer.AsSpan(0, _length).ToArray();

        public override void WriteByte(byte value) => _buffer[_length++] = value;
    }
}
