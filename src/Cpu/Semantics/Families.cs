namespace JitVirt.Cpu.Semantics;

/// <summary>The instruction families, each registering its own forms in the handler table.</summary>
static class Families
{
    public static readonly Action[] All =
    {
        Arithmetic.Register,
        Logic.Register,
        ShiftRotate.Register,
        BitOperations.Register,
        DecimalArithmetic.Register,
        Conversions.Register,
        DataTransfer.Register,
        StackOperations.Register,
        FlagControl.Register,
        StringOperations.Register,
        ControlFlow.Register,
        InputOutput.Register,
        SegmentInstructions.Register,
        FarControlTransfer.Register,
        TaskSwitching.Register,
        InterruptInstructions.Register,
        SystemInstructions.Register,
        FastSystemCalls.Register,
        Miscellaneous.Register,
        FloatingPoint.Register,
    };
}
