using Iced.Intel;
using JitVirt.Cpu.Execution;
using Xunit;

namespace JitVirt.IlJit.Tests;

public sealed unsafe class DirectHandlerTests
{
    [Theory]
    [InlineData(Code.Jne_rel8_64)]
    [InlineData(Code.Jl_rel32_64)]
    [InlineData(Code.Jmp_rel8_64)]
    [InlineData(Code.Jmp_rel32_64)]
    public void Block_ending_relative_branches_are_called_directly(Code code)
    {
        HandlerTable.EnsureInitialized();
        Assert.NotNull(DirectHandlers.Find((nint)HandlerTable.Handlers[(int)code]));
    }

    [Fact]
    public void Other_handlers_stay_indirect()
        => Assert.Null(DirectHandlers.Find((nint)HandlerTable.Handlers[(int)Code.Imul_r64_rm64_imm32]));
}
