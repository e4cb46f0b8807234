import CDNNL

/// oneDNN primitive attributes for compiled plans: the scratchpad is handed in by the plan (one
/// shared buffer instead of one allocation per call) and an element-wise activation can run on
/// the output registers before they are stored (a post-op: conv + bias + ReLU in one pass).
final class Attributes {
    let handle: dnnl_primitive_attr_t

    init(userScratchpad: Bool = true, activation: EltwiseKernel.Function? = nil) {
        var a: dnnl_primitive_attr_t?
        check(dnnl_primitive_attr_create(&a), "primitive_attr_create")
        handle = a!
        if userScratchpad { check(dnnl_primitive_attr_set_scratchpad_mode(handle, dnnl_scratchpad_mode_user), "scratchpad_mode") }
        if let activation {
            var ops: dnnl_post_ops_t?
            check(dnnl_post_ops_create(&ops), "post_ops_create")
            check(dnnl_post_ops_append_eltwise(ops, 1, activation.algorithm, activation.alpha, 0), "post_ops_append_eltwise")
            check(dnnl_primitive_attr_set_post_ops(handle, ops), "set_post_ops")
            dnnl_post_ops_destroy(ops)
        }
    }

    deinit { dnnl_primitive_attr_destroy(handle) }
}
