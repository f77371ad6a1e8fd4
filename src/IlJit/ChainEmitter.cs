using System.Reflection;
using System.Reflection.Emit;
using JitVirt.Cpu.State;

namespace JitVirt.IlJit;

/// <summary>
/// The end of a chainable body: for each of the block's two slots, if it is linked, RIP is the
/// slot's RIP, nothing is pending (faults, interrupts, mode changes: cpu.Pending), TF is clear (the
/// dispatcher single-steps) and the rest of the budget covers the successor's whole length, set
/// CodeDelta and <c>tail. callvirt</c> the successor's body: a loop of chained blocks runs without
/// returning to the dispatcher and stops at the same budget as the interpreter. Otherwise record
/// this block as the last one run (the dispatcher links from it) and return the block length.
/// </summary>
static class ChainEmitter
{
    public static void EmitTail(ILGenerator il, int length)
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
        EmitTrySlot(il, Members.BlockFirst, slot, target);
        EmitTrySlot(il, Members.BlockSecond, slot, target);
        il.MarkLabel(done);
        // self.State.Last = self
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Ldfld, Members.BlockState);
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Stfld, Members.StateLast);
        il.Emit(OpCodes.Ldc_I4, length);
        il.Emit(OpCodes.Ret);
    }

    static void EmitTrySlot(ILGenerator il, FieldInfo slotField, LocalBuilder slot, LocalBuilder target)
    {
        var skip = il.DefineLabel();
        il.Emit(OpCodes.Ldarg_3);
        il.Emit(OpCodes.Ldfld, slotField);
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
