namespace JitVirt.Machine.Devices.Apic;

/// <summary>Priority arithmetic of the local APIC (SDM vol.3 §11.8.3) and the CR8 mapping (SDM vol.3 §11.8.6).</summary>
public static class ApicPriority
{
    /// <summary>Priority class is the vector's upper nibble (SDM vol.3 §11.8.3).</summary>
    public static int Class(int vectorOrPriority) => (vectorOrPriority >> 4) & 0xF;

    /// <summary>
    /// PPR = TPR when TPR[7:4] ≥ ISRV[7:4], else ISRV[7:4]:0 (SDM vol.3 §11.8.3.1).
    /// <paramref name="highestInService"/> is -1 when the ISR is empty (ISRV = 0).
    /// </summary>
    public static uint ProcessorPriority(uint tpr, int highestInService)
    {
        int isrv = highestInService < 0 ? 0 : highestInService;
        return Class((int)tpr) >= Class(isrv) ? tpr & 0xFF : (uint)(isrv & 0xF0);
    }

    /// <summary>
    /// APR per SDM vol.3 §11.6.2.4 Figure 11-15: TPR when TPR[7:4] ≥ IRRV[7:4] and TPR[7:4] &gt; ISRV[7:4],
    /// otherwise the highest of the three classes with a zero sub-class.
    /// </summary>
    public static uint ArbitrationPriority(uint tpr, int highestInService, int highestRequested)
    {
        int tprClass = Class((int)tpr);
        int isrClass = highestInService < 0 ? 0 : Class(highestInService);
        int irrClass = highestRequested < 0 ? 0 : Class(highestRequested);
        if (tprClass >= irrClass && tprClass > isrClass) return tpr & 0xFF;
        return (uint)(Math.Max(tprClass, Math.Max(isrClass, irrClass)) << 4);
    }

    /// <summary>A pending vector is deliverable when its class exceeds PPR[7:4] (SDM vol.3 §11.8.3.1).</summary>
    public static bool IsDeliverable(int vector, uint ppr) => Class(vector) > Class((int)ppr);

    /// <summary>CR8[3:0] mirrors TPR[7:4] (SDM vol.3 §11.8.6.1).</summary>
    public static ulong TprToCr8(uint tpr) => (tpr >> 4) & 0xF;

    /// <summary>A CR8 write sets TPR[7:4] = CR8[3:0] and clears TPR[3:0] (SDM vol.3 §11.8.6.1).</summary>
    public static uint Cr8ToTpr(ulong cr8) => (uint)((cr8 & 0xF) << 4);
}
