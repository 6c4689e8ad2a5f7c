import Foundation
import XCTest
@testable import SGDCore

/// The elementwise kernels of every instruction set this CPU runs, in Float and Double, against naive
/// loops in Double written here from the formulas, on odd lengths (partial vector blocks in every
/// loop); and each instruction set's results against the baseline's, which they must equal exactly:
/// the kernels contract no multiply-adds and reorder no sums, so a wider vector changes no rounding.
final class KernelsTests: XCTestCase {
    private let lengths = [1, 3, 7, 17, 255, 257]

    /// Runs `check` with the kernels of each available instruction set, in both scalar types.
    private func forEachTable(_ check: (InstructionSet, ElementwiseKernels<Float>, ElementwiseKernels<Double>) throws -> Void) rethrows {
        XCTAssertTrue(InstructionSet.available.contains(.baseline))
        XCTAssertTrue(InstructionSet.available.contains(InstructionSet.selected))
        for isa in InstructionSet.available {
            try check(isa, .compiled(for: isa), .compiled(for: isa))
        }
    }

    private func values<T: Scalar>(_ count: Int, seed: UInt64, scale: Double = 3) -> [T] {
        randomValues(count, seed: seed, scale: scale)
    }

    /// Calls `body` with a mutable copy of `values` and returns it after.
    private func mutated<T: Scalar>(_ values: [T], _ body: (UnsafeMutablePointer<T>) -> Void) -> [T] {
        var copy = values
        copy.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
        return copy
    }

    private func assertClose<T: Scalar>(_ actual: [T], _ expected: [Double], _ message: String) {
        let tolerance = T.self == Float.self ? 1e-6 : 1e-14
        XCTAssertEqual(actual.count, expected.count, message)
        for (i, (value, reference)) in zip(actual, expected).enumerated() {
            SGDCoreTests.assertClose(Double(value), reference, relative: tolerance, absolute: tolerance, "\(message) at \(i)")
        }
    }

    // MARK: Activations

    private func naiveActivation(_ activation: Activation, _ z: [Double]) -> [Double] {
        switch activation {
        case .sigmoid: return z.map { 1 / (1 + exp(-$0)) }
        case .relu: return z.map { max($0, 0) }
        case .tanh: return z.map { tanh($0) }
        case .identity: return z
        case .softmax:
            let exps = z.map { exp($0 - z.max()!) }, total = exps.reduce(0, +)
            return exps.map { $0 / total }
        case .exp: return z.map { exp($0) }
        case .leakyRelu: return z.map { $0 > 0 ? $0 : 0.01 * $0 }
        case .elu: return z.map { $0 > 0 ? $0 : exp($0) - 1 }
        case .gelu: return z.map { $0 * 0.5 * (1 + erf($0 / 2.0.squareRoot())) }
        case .softplus: return z.map { log(1 + exp($0)) }
        case .silu: return z.map { $0 / (1 + exp(-$0)) }
        }
    }

    /// δ ⊙ σ'(z), from z for the new activations (the kernels read a where they can).
    private func naiveDerivative(_ activation: Activation, delta: [Double], a: [Double], z: [Double]) -> [Double] {
        switch activation {
        case .leakyRelu: return zip(delta, z).map { $1 > 0 ? $0 : 0.01 * $0 }
        case .elu: return zip(delta, z).map { $1 > 0 ? $0 : $0 * exp($1) }
        case .gelu:
            return zip(delta, z).map { $0 * (0.5 * (1 + erf($1 / 2.0.squareRoot())) + $1 * exp(-$1 * $1 / 2) / (2 * Double.pi).squareRoot()) }
        case .softplus: return zip(delta, z).map { $0 / (1 + exp(-$1)) }
        case .silu:
            return zip(delta, z).map { d, z in
                let s = 1 / (1 + exp(-z))
                return d * (s + z * s * (1 - s))
            }
        case .sigmoid: return zip(delta, a).map { $0 * $1 * (1 - $1) }
        case .relu: return zip(delta, a).map { $1 > 0 ? $0 : 0 }
        case .tanh: return zip(delta, a).map { $0 * (1 - $1 * $1) }
        case .identity: return delta
        case .softmax:
            let dot = zip(delta, a).map(*).reduce(0, +)
            return zip(delta, a).map { $1 * ($0 - dot) }
        case .exp: return zip(delta, a).map { $0 * $1 }
        }
    }

    private func checkActivations<T: Scalar>(_ kernels: ElementwiseKernels<T>, baseline: ElementwiseKernels<T>, _ isa: InstructionSet) {
        for n in lengths {
            let z: [T] = values(n, seed: UInt64(n)), delta: [T] = values(n, seed: UInt64(n) + 100)
            for activation in Activation.allCases {
                let label = "\(isa) \(T.self) \(activation) n=\(n)"
                let a = mutated([T](repeating: 0, count: n)) { kernels.activate(activation, z, $0, n) }
                assertClose(a, naiveActivation(activation, z.map(Double.init)), label)
                let inPlace = mutated(z) { kernels.activate(activation, $0, $0, n) }
                XCTAssertEqual(inPlace, a, "\(label) in place")
                let backpropagated = mutated(delta) { kernels.backpropagate(activation, $0, a, z, n) }
                assertClose(backpropagated, naiveDerivative(activation, delta: delta.map(Double.init), a: a.map(Double.init),
                                                            z: z.map(Double.init)),
                            label + " σ'")
                XCTAssertEqual(a, mutated([T](repeating: 0, count: n)) { baseline.activate(activation, z, $0, n) }, label)
                XCTAssertEqual(backpropagated, mutated(delta) { baseline.backpropagate(activation, $0, a, z, n) }, label + " σ'")
                if !activation.derivativeNeedsZ {  // σ' read from a alone
                    XCTAssertEqual(backpropagated, mutated(delta) { kernels.backpropagate(activation, $0, a, nil, n) }, label)
                }
            }
        }
    }

    func testActivationsAndTheirDerivativesEqualNaiveLoopsOnEveryInstructionSet() {
        forEachTable { isa, float, double in
            checkActivations(float, baseline: .compiled(for: .baseline), isa)
            checkActivations(double, baseline: .compiled(for: .baseline), isa)
        }
    }

    // MARK: Update rules

    private let rules: [UpdateRule] = [
        .sgd(momentum: 0, dampening: 0, nesterov: false), .sgd(momentum: 0.9, dampening: 0.1, nesterov: false),
        .sgd(momentum: 0.9, dampening: 0, nesterov: true), .adaGrad(epsilon: 1e-10),
        .rmsProp(alpha: 0.99, epsilon: 1e-8, momentum: 0), .rmsProp(alpha: 0.9, epsilon: 1e-8, momentum: 0.5),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, decoupledWeightDecay: false),
        .adam(beta1: 0.8, beta2: 0.99, epsilon: 1e-6, amsgrad: true, decoupledWeightDecay: false),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, amsgrad: false, decoupledWeightDecay: true),
        .adam(beta1: 0.9, beta2: 0.999, epsilon: 1e-3, amsgrad: false, decoupledWeightDecay: false,
              epsilonBeforeBiasCorrection: true),
    ]

    /// θ after `gradients.count` steps of the rule, one scalar at a time, from torch.optim's formulas,
    /// with g = s·(∇C + κθ) + λθ (λ into g except for AdamW, which decays θ by 1 − ηλ).
    private func naiveSteps(_ rule: UpdateRule, theta start: Double, gradients: [Double], eta: Double, lambda: Double,
                            scale s: Double, penalty kappa: Double) -> Double {
        var theta = start, slots = [Double](repeating: 0, count: 3)
        for (index, gradient) in gradients.enumerated() {
            let t = Double(index + 1)
            func g(_ decay: Double) -> Double { s * (gradient + kappa * theta) + decay * theta }
            switch rule {
            case .sgd(let mu, let tau, let nesterov):
                let grad = g(lambda)
                guard mu != 0 else { theta -= eta * grad; continue }
                slots[0] = index == 0 ? grad : mu * slots[0] + (1 - tau) * grad
                theta -= eta * (nesterov ? grad + mu * slots[0] : slots[0])
            case .adaGrad(let eps):
                let grad = g(lambda)
                slots[0] += grad * grad
                theta -= eta * grad / (slots[0].squareRoot() + eps)
            case .rmsProp(let alpha, let eps, let mu):
                let grad = g(lambda)
                slots[0] = alpha * slots[0] + (1 - alpha) * grad * grad
                if mu == 0 {
                    theta -= eta * grad / (slots[0].squareRoot() + eps)
                } else {
                    slots[1] = mu * slots[1] + grad / (slots[0].squareRoot() + eps)
                    theta -= eta * slots[1]
                }
            case .adam(let beta1, let beta2, let eps, let amsgrad, let decoupled, let epsilonFirst):
                let grad = g(decoupled ? 0 : lambda)
                if decoupled { theta *= 1 - eta * lambda }
                slots[0] = beta1 * slots[0] + (1 - beta1) * grad
                slots[1] = beta2 * slots[1] + (1 - beta2) * grad * grad
                slots[2] = amsgrad ? max(slots[2], slots[1]) : slots[1]
                let mHat = slots[0] / (1 - pow(beta1, t)), vHat = slots[2] / (1 - pow(beta2, t))
                // ε before the bias correction: on √v rather than √v̂, i.e. ε/√(1 − β₂ᵗ) on √v̂
                theta -= eta * mHat / (vHat.squareRoot() + (epsilonFirst ? eps / (1 - pow(beta2, t)).squareRoot() : eps))
            }
        }
        return theta
    }

    /// θ after three steps of `kernels.update` over n scalars.
    private func kernelSteps<T: Scalar>(_ kernels: ElementwiseKernels<T>, _ rule: UpdateRule, theta: [T], gradients: [[T]],
                                        eta: Double, lambda: T, scale: T, penalty: T) -> [T] {
        let n = theta.count
        var current = theta, state = [T](repeating: 0, count: rule.stateSlots * n)
        for (index, gradient) in gradients.enumerated() {
            state.withUnsafeMutableBufferPointer { slots in
                current = mutated(current) { values in
                    let operands = UpdateOperands(theta: values, gradient: gradient, next: values, count: n, scale: scale,
                                                  penalty: penalty, state: slots.baseAddress ?? values, slotStride: n,
                                                  learningRate: eta, step: index + 1)
                    XCTAssertTrue(kernels.update(rule, operands, lambda), "finite θ′ reported as finite")
                }
            }
        }
        return current
    }

    /// Whether one step with `gradient` reports its θ′ as all finite.
    private func nonFiniteStepIsReported<T: Scalar>(_ kernels: ElementwiseKernels<T>, _ rule: UpdateRule, theta: [T],
                                                     gradient: [T]) -> Bool {
        let n = theta.count
        var state = [T](repeating: 0, count: rule.stateSlots * n), next = theta, finite = true
        state.withUnsafeMutableBufferPointer { slots in
            next.withUnsafeMutableBufferPointer { out in
                let operands = UpdateOperands(theta: theta, gradient: gradient, next: out.baseAddress!, count: n, scale: 1,
                                              penalty: 0, state: slots.baseAddress ?? out.baseAddress!, slotStride: n,
                                              learningRate: 0.1, step: 1)
                finite = kernels.update(rule, operands, 0)
            }
        }
        return finite
    }

    private func checkUpdates<T: Scalar>(_ kernels: ElementwiseKernels<T>, baseline: ElementwiseKernels<T>, _ isa: InstructionSet) {
        let (eta, lambda, scale, penalty) = (0.05, 0.01, 0.7, 0.002)
        for n in lengths {
            let theta: [T] = values(n, seed: UInt64(n) + 1)
            let gradients: [[T]] = (0..<3).map { values(n, seed: UInt64(n * 10 + $0)) }
            for rule in rules {
                let label = "\(isa) \(T.self) \(rule) n=\(n)"
                let result = kernelSteps(kernels, rule, theta: theta, gradients: gradients, eta: eta, lambda: T(lambda),
                                         scale: T(scale), penalty: T(penalty))
                let expected = (0..<n).map { i in
                    naiveSteps(rule, theta: Double(theta[i]), gradients: gradients.map { Double($0[i]) }, eta: eta,
                               lambda: Double(T(lambda)), scale: Double(T(scale)), penalty: Double(T(penalty)))
                }
                // Float keeps ~7 digits through three divisions by √v: compare at 1e-5 there.
                let tolerance = T.self == Float.self ? 1e-5 : 1e-13
                for i in 0..<n {
                    SGDCoreTests.assertClose(Double(result[i]), expected[i], relative: tolerance, absolute: tolerance,
                                             "\(label) at \(i)")
                }
                XCTAssertEqual(result, kernelSteps(baseline, rule, theta: theta, gradients: gradients, eta: eta,
                                                   lambda: T(lambda), scale: T(scale), penalty: T(penalty)), label)
                for (position, bad) in [(0, T.nan), (n / 2, .infinity), (n - 1, -.infinity)] {
                    var spoiled = gradients[0]
                    spoiled[position] = bad
                    XCTAssertFalse(nonFiniteStepIsReported(kernels, rule, theta: theta, gradient: spoiled),
                                   "\(label): a \(bad) gradient at \(position)")
                }
            }
        }
    }

    func testUpdateRulesEqualTorchFormulasOnEveryInstructionSet() {
        forEachTable { isa, float, double in
            checkUpdates(float, baseline: .compiled(for: .baseline), isa)
            checkUpdates(double, baseline: .compiled(for: .baseline), isa)
        }
    }

    // MARK: Finite checks

    private func checkFiniteChecks<T: Scalar>(_ kernels: ElementwiseKernels<T>, _ isa: InstructionSet) {
        for count in lengths + [8, 16, 33] {
            let finite: [T] = values(count, seed: UInt64(count))
            let label = "\(isa) \(T.self) count \(count)"
            XCTAssertTrue(kernels.allFinite(finite, count), label)
            let (smallest, largest) = kernels.extremes(finite, count)
            XCTAssertEqual(smallest, finite.min(), label)
            XCTAssertEqual(largest, finite.max(), label)
            for (position, bad) in [(0, T.nan), (count / 2, .infinity), (count - 1, -.infinity)] {
                var spoiled = finite
                spoiled[position] = bad
                XCTAssertFalse(kernels.allFinite(spoiled, count), "\(label) at \(position)")
                spoiled.withUnsafeBufferPointer {
                    XCTAssertEqual(firstNonFinite($0.baseAddress!, count: count, kernels), position, label)
                }
            }
        }
        XCTAssertTrue(kernels.extremes([T(5)], 0) == (0, 0), "(0, 0) for no values")
    }

    func testFiniteChecksFindNaNAndInfinityAndTheExtremesOnEveryInstructionSet() {
        forEachTable { isa, float, double in
            checkFiniteChecks(float, isa)
            checkFiniteChecks(double, isa)
        }
    }

    // MARK: Sparse rows

    /// x (nonzeros at rows 4, 0, 4 (a repeat) and 2 of a 5 × width matrix) times m, and the scatter of
    /// x·d into the block of rows 1..<5, against loops over the same terms in Double.
    private func checkSparseRows<T: Scalar>(_ kernels: ElementwiseKernels<T>, _ isa: InstructionSet) -> [[T]] {
        let rows: [Int32] = [4, 0, 4, 2], xs: [T] = values(4, seed: 11)
        var results: [[T]] = []
        for width in lengths {
            let stride = width + 2, m: [T] = values(5 * stride, seed: 12), start: [T] = values(width, seed: 13)
            let d: [T] = values(width, seed: 14)
            rows.withUnsafeBufferPointer { rowIndices in
                xs.withUnsafeBufferPointer { x in
                    let row = SparseRow(values: x.baseAddress!, columns: rowIndices.baseAddress!, count: 4)
                    let product = mutated(start) { kernels.addSparseRowProduct($0, width, row, m, stride) }
                    let expected = (0..<width).map { j in
                        (0..<4).reduce(Double(start[j])) { $0 + Double(xs[$1]) * Double(m[Int(rows[$1]) * stride + j]) }
                    }
                    assertClose(product, expected, "\(isa) \(T.self) sparse row product, width \(width)")
                    let scattered = mutated(m) { kernels.scatterSparseRow($0 + stride, stride, 1, 4, row, d, width) }
                    var reference = m.map(Double.init)
                    for k in 0..<4 where rows[k] >= 1 {
                        for j in 0..<width { reference[Int(rows[k]) * stride + j] += Double(xs[k]) * Double(d[j]) }
                    }
                    assertClose(scattered, reference, "\(isa) \(T.self) sparse row scatter, width \(width)")
                    results += [product, scattered]
                }
            }
        }
        return results
    }

    func testSparseRowKernelsEqualNaiveLoopsAndTheBaselineOnEveryInstructionSet() {
        let baseline = (checkSparseRows(ElementwiseKernels<Float>.compiled(for: .baseline), .baseline),
                        checkSparseRows(ElementwiseKernels<Double>.compiled(for: .baseline), .baseline))
        forEachTable { isa, float, double in
            XCTAssertEqual(checkSparseRows(float, isa), baseline.0, "\(isa) Float")
            XCTAssertEqual(checkSparseRows(double, isa), baseline.1, "\(isa) Double")
        }
    }
}
