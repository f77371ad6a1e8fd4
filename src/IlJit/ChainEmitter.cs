using System.Reflection.Emit;
using JitVirt.Cpu.State;

namespace JitVirt.IlJit;

/// <summary>
/// The end of a chainable body, shared by all its exits (RIP, registers and the retired count are
/// already written back when they branch here): for each of the body's slots, if it is linked,
/// RIP is the slot's RIP, nothing is pending (faults, interrupts, mode changes: cpu.Pending), TF is
/// clear (the dispatcher single-steps) and the rest of the budget covers the successor's head
/// block, set CodeDelta and <c>tail. callvirt</c> the successor's body: a loop of chained bodies
/// runs without returning to the dispatcher and stops at the same budget as the interpreter.
/// Otherwise record this body as the last one run (the dispatcher links from it) and return
/// <c>result</c> (the instructions of the last block completed).
/// </summary>
static class ChainEmitter
{
    public static void EmitTail(ILGenerator il, int slots, LocalBuilder result)
    {
        var slot = il.DeclareLocal(typeof(ChainSlot));
        var target = il.DeclareLocal(typeof(CompiledBlock));
        var done = il.DefineLabel();
        // Nothing chains while something is pending or TF is set.
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.Pending);
        il.Emit(OpCodes.Brtrue, done);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.RflagsStatic);
        il.Emit(OpCodes.Ldc_I8, (long)Rflags.TF);
        il.Emit(OpCodes.And);
        il.Emit(OpCodes.Brtrue, done);
        for (int k = 0; k < slots; k++) EmitTrySlot(il, k, slot, target);
        il.MarkLabel(done);
        // self.State.Last = self
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Ldfld, Members.BlockState);
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Stfld, Members.StateLast);
        il.Emit(OpCodes.Ldloc, result);
        il.Emit(OpCodes.Ret);
    }

    static void EmitTrySlot(ILGenerator il, int index, LocalBuilder slot, LocalBuilder target)
    {
        var skip = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Ldfld, Members.BlockSlots);
        il.Emit(OpCodes.Ldc_I4, index);
        il.Emit(OpCodes.Ldelem_Ref);
        il.Emit(OpCodes.Stloc, slot);
        il.Emit(OpCodes.Ldloc, slot);
        il.Emit(OpCodes.Ldfld, Members.SlotTarget);
        il.Emit(OpCodes.Stloc, target);
        il.Emit(OpCodes.Ldloc, target);
        il.Emit(OpCodes.Brfalse, skip);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.Rip);
        il.Emit(OpCodes.Ldloc, slot);
        il.Emit(OpCodes.Ldfld, Members.SlotRip);
        il.Emit(OpCodes.Bne_Un, skip);
        // budgetEnd - retired >= slot.Length
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldfld, Members.InstructionsRetired);
        il.Emit(OpCodes.Sub);
        il.Emit(OpCodes.Ldloc, slot);
        il.Emit(OpCodes.Ldfld, Members.SlotLength);
        il.Emit(OpCodes.Blt, skip);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, slot);
        il.Emit(OpCodes.Ldfld, Members.SlotCodeDelta);
        il.Emit(OpCodes.Stfld, Members.CodeDelta);
        il.Emit(OpCodes.Ldloc, target);
        il.Emit(OpCodes.Ldfld, Members.BlockBody);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Ldloc, target);
        il.Emit(OpCodes.Ldfld, Members.BlockInsns);
        il.Emit(OpCodes.Ldarg_2);
        il.Emit(OpCodes.Ldloc, target);
        il.Emit(OpCodes.Tailcall);
        il.Emit(OpCodes.Callvirt, Members.BodyInvoke);
        il.Emit(OpCodes.Ret);
        il.MarkLabel(skip);
    }
}
