import CSGDSwift
import SGDCore

// The sgd_optimizer_* functions of sgdswift.h.

@_cdecl("sgd_optimizer_create")
public func exportOptimizerCreate(
    _ dtype: Int32, _ settings: sgd_optimizer_settings, _ optimizerOut: UnsafeMutablePointer<UnsafeMutableRawPointer?>,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    reporting(message, capacity) {
        let rule: UpdateRule
        switch settings.rule {
        case SGD_RULE_SGD:
            rule = .sgd(momentum: settings.momentum, dampening: settings.dampening, nesterov: settings.nesterov != 0)
        case SGD_RULE_ADAGRAD:
            rule = .adaGrad(epsilon: settings.epsilon)
        case SGD_RULE_RMSPROP:
            rule = .rmsProp(alpha: settings.alpha, epsilon: settings.epsilon, momentum: settings.momentum)
        case SGD_RULE_ADAM:
            rule = .adam(beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon,
                         amsgrad: settings.amsgrad != 0, decoupledWeightDecay: settings.decoupled_weight_decay != 0,
                         epsilonBeforeBiasCorrection: settings.epsilon_before_bias_correction != 0)
        default:
            throw CoreError.invalidArgument("rule: unknown code \(settings.rule)")
        }
        let optimizer: AnyObject
        switch dtype {
        case SGD_FLOAT32:
            optimizer = try Optimizer<Float>(rule: rule, learningRate: settings.learning_rate, weightDecay: settings.weight_decay)
        case SGD_FLOAT64:
            optimizer = try Optimizer<Double>(rule: rule, learningRate: settings.learning_rate, weightDecay: settings.weight_decay)
        default:
            throw CoreError.invalidArgument("dtype: unknown code \(dtype)")
        }
        optimizerOut.pointee = retainedHandle(optimizer)
        return SGD_OK
    }
}

@_cdecl("sgd_optimizer_destroy")
public func exportOptimizerDestroy(_ handle: UnsafeMutableRawPointer) {
    releaseHandle(handle)
}

@_cdecl("sgd_optimizer_info")
public func exportOptimizerInfo(
    _ handle: UnsafeMutableRawPointer, _ countOut: UnsafeMutablePointer<Int64>, _ stepsOut: UnsafeMutablePointer<Int64>,
    _ stateCountOut: UnsafeMutablePointer<Int64>
) {
    switch OptimizerHandle(handle) {
    case .float(let optimizer):
        (countOut.pointee, stepsOut.pointee, stateCountOut.pointee) = (Int64(optimizer.count), Int64(optimizer.steps), Int64(optimizer.state.count))
    case .double(let optimizer):
        (countOut.pointee, stepsOut.pointee, stateCountOut.pointee) = (Int64(optimizer.count), Int64(optimizer.steps), Int64(optimizer.state.count))
    case nil:
        (countOut.pointee, stepsOut.pointee, stateCountOut.pointee) = (0, 0, 0)
    }
}

@_cdecl("sgd_optimizer_learning_rate")
public func exportOptimizerLearningRate(_ handle: UnsafeMutableRawPointer) -> Double {
    switch OptimizerHandle(handle) {
    case .float(let optimizer): return optimizer.learningRate
    case .double(let optimizer): return optimizer.learningRate
    case nil: return .nan
    }
}

@_cdecl("sgd_optimizer_set_learning_rate")
public func exportOptimizerSetLearningRate(
    _ handle: UnsafeMutableRawPointer, _ learningRate: Double, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer): try optimizer.setLearningRate(learningRate)
        case .double(let optimizer): try optimizer.setLearningRate(learningRate)
        }
    }
}

@_cdecl("sgd_optimizer_reset")
public func exportOptimizerReset(
    _ handle: UnsafeMutableRawPointer, _ count: Int64, _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer): try optimizer.reset(count: Int(count))
        case .double(let optimizer): try optimizer.reset(count: Int(count))
        }
    }
}

/// The (parameters, gradient, count) segments of a step, typed for the optimizer's element type.
private func segments<Element>(
    _ parameters: UnsafePointer<UnsafeMutableRawPointer>, _ gradients: UnsafePointer<UnsafeRawPointer>,
    _ counts: UnsafePointer<Int64>, _ arrays: Int64, as: Element.Type
) throws -> [(parameters: UnsafeMutablePointer<Element>, gradient: UnsafePointer<Element>, count: Int)] {
    try require(arrays >= 0, "parameters: \(arrays) arrays")
    return try (0..<Int(arrays)).map { i in
        try require(counts[i] >= 0, "parameters[\(i)]: \(counts[i]) values")
        return (parameters[i].assumingMemoryBound(to: Element.self), gradients[i].assumingMemoryBound(to: Element.self),
                Int(counts[i]))
    }
}

@_cdecl("sgd_optimizer_step")
public func exportOptimizerStep(
    _ handle: UnsafeMutableRawPointer, _ parameters: UnsafePointer<UnsafeMutableRawPointer>,
    _ gradients: UnsafePointer<UnsafeRawPointer>, _ counts: UnsafePointer<Int64>, _ arrays: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer): try optimizer.step(segments(parameters, gradients, counts, arrays, as: Float.self))
        case .double(let optimizer): try optimizer.step(segments(parameters, gradients, counts, arrays, as: Double.self))
        }
    }
}

@_cdecl("sgd_optimizer_get_state")
public func exportOptimizerGetState(
    _ handle: UnsafeMutableRawPointer, _ out: UnsafeMutableRawPointer, _ outCount: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        func copy<Element>(_ state: Buffer<Element>) throws {
            try require(outCount == state.count, "out: expected \(state.count) values, got \(outCount)")
            out.assumingMemoryBound(to: Element.self).update(from: state.base, count: state.count)
        }
        switch optimizer {
        case .float(let optimizer): try copy(optimizer.state)
        case .double(let optimizer): try copy(optimizer.state)
        }
    }
}

@_cdecl("sgd_optimizer_restore")
public func exportOptimizerRestore(
    _ handle: UnsafeMutableRawPointer, _ count: Int64, _ steps: Int64, _ values: UnsafeRawPointer, _ valueCount: Int64,
    _ message: UnsafeMutablePointer<CChar>, _ capacity: Int64
) -> sgd_status {
    withOptimizer(handle, message, capacity) { optimizer in
        switch optimizer {
        case .float(let optimizer):
            try optimizer.restore(count: Int(count), steps: Int(steps), values: values.assumingMemoryBound(to: Float.self),
                                  valueCount: Int(valueCount))
        case .double(let optimizer):
            try optimizer.restore(count: Int(count), steps: Int(steps), values: values.assumingMemoryBound(to: Double.self),
                                  valueCount: Int(valueCount))
        }
    }
}
