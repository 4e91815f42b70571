/** Units and protocol-wide constants. Module-specific defaults live next to their module. */
export const second = 1000
export const minute = 60 * second
export const hour = 60 * minute
export const day = 24 * hour
export const KiB = 1024
export const MiB = 1024 * KiB

/** Standard IPNS size limit, applied to tagged records too. */
export const MAX_RECORD_SIZE = 10 * KiB
export const GiB = 1024 * MiB
